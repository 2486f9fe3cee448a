"""The training loop, for any network of layers: mini-batches, optimizer, schedule, L2, guard.

:func:`train` is what :meth:`nn_core.sequential.Sequential.train` (and so
``NeuralNetwork.train``) runs. It knows nothing about what the layers are: it asks the network for
the gradient of a mini-batch's mean cost (:meth:`~nn_core.sequential.Sequential.backprop`), which
fills every layer's ``grads``, and lets the optimizer update every layer's ``params`` in place.

Divergence
----------
Too large a learning rate fails in one of two ways, and training stops with
:class:`TrainingDiverged` (naming the cause and a fix, parameters restored) on either: the loss
becomes NaN or infinite, or the network dies — the first steps throw the weights so far that every
ReLU outputs 0 for every input, no gradient reaches the first layer any more, and the loss sits
at chance level for ever. See :mod:`nn_core.network` for the seed's example of the latter.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
from numpy.typing import NDArray

from nn_core.optimizers import OPTIMIZERS, Optimizer, make_optimizer
from nn_core.schedules import learning_rate_at

if TYPE_CHECKING:
    from nn_core.sequential import Sequential

Array = NDArray[np.floating]
Augment = Callable[[Array, np.random.Generator], Array]
"""An on-the-fly augmentation: (batch of rows, generator) → batch of rows of the same shape."""

STALL_PATIENCE = 50
"""Consecutive mini-batches without any gradient reaching the first layer that mean "dead"."""

STALL_MIN_LOSS = 1e-3
"""...unless the mean loss over them is below this: then the network simply fits those batches."""

TRAINING_BLAS_THREADS: int | None = 1
"""BLAS threads while :func:`train` runs (None: leave BLAS as it is).

A fully connected network's mini-batch products are small (64 × 784 by 784 × 100 is 5 MFLOP, a
tenth of a millisecond on one core), so splitting each of them across threads costs more in
hand-offs than it gains; on a busy machine, where a thread has to wait for a core, it is ruinous
(measured on the 2-core development machine under load: an epoch of 784-100-10 at batch 10 took
12.3 s with two threads and 0.7 s with one). Convolutional networks are different: their im2col
products are large enough to split, so they use :data:`CONV_BLAS_THREADS` instead (measurements
in docs/TRAINING.md). The limit needs the ``threadpoolctl`` package; without it, set
``OPENBLAS_NUM_THREADS`` in the environment.
"""

CONV_BLAS_THREADS: int | None = 1
"""BLAS threads while a network with convolution layers trains (see docs/TRAINING.md)."""


@dataclass(frozen=True)
class EpochReport:
    """The outcome of one training epoch.

    Attributes:
        epoch: The epoch number, 1-based.
        train_loss: Mean cost over the epoch's mini-batches, each measured just before its update
            (a running estimate, free to compute; without the L2 term).
        validation_accuracy: Percent correct (0-100) on the validation data (or, without it, the
            test data); None when neither was given.
        validation_loss: Mean cost on the same data; None when neither was given.
        learning_rate: The learning rate used during the epoch (after the schedule).
        seconds: Wall time of the epoch, evaluation included.
    """

    epoch: int
    train_loss: float
    validation_accuracy: float | None
    validation_loss: float | None
    learning_rate: float
    seconds: float


class TrainingDiverged(RuntimeError):  # noqa: N818 (the name is the interface)
    """The loss became NaN or infinite; the message names the likely cause and a fix.

    Attributes:
        epoch: The epoch (1-based) in which training diverged.
        batch: The mini-batch (1-based) whose loss was not finite, or None when the parameters
            were found non-finite at the end of the epoch.
        learning_rate: The learning rate in use at that point.
    """

    def __init__(self, message: str, *, epoch: int, batch: int | None, learning_rate: float):
        super().__init__(message)
        self.epoch = epoch
        self.batch = batch
        self.learning_rate = learning_rate


@dataclass(frozen=True)
class TrainingOptions:
    """The knobs of one :func:`train` call (validated by the caller)."""

    epochs: int
    batch_size: int
    learning_rate: float
    optimizer: str = "sgd"
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    l2: float = 0.0
    schedule: str | None = None
    augment: Augment | None = None


def train(
    network: Sequential,
    X: Array,
    Y: Array,
    options: TrainingOptions,
    eval_set: tuple[Array, NDArray[np.int64]] | None,
    on_batch: Callable[[int, int], None] | None,
    on_epoch: Callable[[EpochReport], bool | None] | None,
    on_epoch_line: Callable[[int], None] | None,
) -> list[EpochReport]:
    """Run ``options.epochs`` epochs of mini-batch training on rows X with target rows Y.

    Args:
        network: The network; its parameters are updated in place.
        X: Inputs, one sample per row, in the network's dtype.
        Y: Targets, one row per sample.
        options: Epochs, batch size, optimizer, schedule, L2, augmentation.
        eval_set: Evaluated after each epoch for the report's accuracy and loss.
        on_batch: Called after every mini-batch with (batches done, batches in the epoch).
        on_epoch: Called after every epoch; returning False stops training.
        on_epoch_line: Called after every epoch when ``on_epoch`` is None (the seed's printout).

    Raises:
        TrainingDiverged: See the module docstring; the parameters are restored first.
    """
    params = network.parameters()
    grads = network.parameter_gradients()
    state = _Epochs(
        optimizer=make_optimizer(
            options.optimizer,
            params,
            momentum=options.momentum,
            beta1=options.beta1,
            beta2=options.beta2,
        ),
        guard=DivergenceGuard(network, params, options.optimizer, options.l2),
        params=params,
        grads=grads,
    )
    reports: list[EpochReport] = []
    threads = CONV_BLAS_THREADS if network.has_convolutions else TRAINING_BLAS_THREADS
    try:
        with limit_blas_threads(threads):
            for epoch in range(1, options.epochs + 1):
                started = time.perf_counter()
                rate = learning_rate_at(
                    options.schedule, options.learning_rate, epoch - 1, options.epochs
                )
                state.guard.start_epoch(epoch, rate)
                train_loss = _run_epoch(network, state, X, Y, options, rate, on_batch)
                accuracy = validation_loss = None
                if eval_set is not None:
                    accuracy, validation_loss = network.score(*eval_set)
                report = EpochReport(
                    epoch=epoch,
                    train_loss=train_loss,
                    validation_accuracy=accuracy,
                    validation_loss=validation_loss,
                    learning_rate=rate,
                    seconds=time.perf_counter() - started,
                )
                reports.append(report)
                if on_epoch is not None:
                    if on_epoch(report) is False:
                        break
                elif on_epoch_line is not None:
                    on_epoch_line(epoch)
    finally:
        network.clear_buffers()
    return reports


@dataclass
class _Epochs:
    optimizer: Optimizer
    guard: DivergenceGuard
    params: list[Array]
    grads: list[Array]


def _run_epoch(
    network: Sequential,
    state: _Epochs,
    X: Array,
    Y: Array,
    options: TrainingOptions,
    rate: float,
    on_batch: Callable[[int, int], None] | None,
) -> float:
    """One pass over shuffled mini-batches; return the mean training loss seen."""
    n = len(X)
    batch_size = options.batch_size
    batches = math.ceil(n / batch_size)
    rng = network.rng
    order = rng.permutation(n)
    total = 0.0
    inputs: dict[int, tuple[Array, Array]] = {}
    # NaN and overflow are dealt with by the guard (TrainingDiverged), so NumPy's warnings
    # about them would only be noise in front of the real message.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for batch in range(batches):
            index = order[batch * batch_size : (batch + 1) * batch_size]
            rows = len(index)
            if rows not in inputs:
                inputs[rows] = (
                    np.empty((rows, X.shape[1]), dtype=X.dtype),
                    np.empty((rows, Y.shape[1]), dtype=Y.dtype),
                )
            xb, yb = inputs[rows]
            # Gather the batch into contiguous buffers (no new arrays per batch).
            np.take(X, index, axis=0, out=xb, mode="clip")
            np.take(Y, index, axis=0, out=yb, mode="clip")
            batch_x = options.augment(xb, rng) if options.augment is not None else xb
            batch_total = network.backprop(batch_x, yb, options.l2)
            state.guard.check_batch(batch + 1, batch_total / rows, network.first_bias_gradient())
            total += batch_total
            state.optimizer.step(state.params, state.grads, rate)
            if on_batch is not None:
                on_batch(batch + 1, batches)
    state.guard.check_parameters()
    return total / n


class DivergenceGuard:
    """Stops training that has diverged, restores the last good parameters, explains why.

    Two failure modes are checked on every mini-batch, for the price of a few comparisons:

    * the loss is NaN or infinite (the weights have blown up);
    * the network is dead: after a too-large step, ReLU units can all end up outputting 0 for
      every input (or sigmoid / tanh units saturate), and then no error ever reaches the first
      layer with parameters again — its bias gradient Σ δ is exactly 0 — while the loss stays
      where it is. A run of :data:`STALL_PATIENCE` such batches with a mean loss above
      :data:`STALL_MIN_LOSS` (so not a network that fits its data perfectly) is a dead network.

    The parameters are snapshotted at the start of every epoch (a cheap copy, once per epoch)
    while they are known to be good, and restored before raising.
    """

    def __init__(self, network: Sequential, params: list[Array], optimizer: str, l2: float) -> None:
        self.network, self.params, self.optimizer, self.l2 = network, params, optimizer, l2
        self.snapshot: list[Array] = []
        self.snapshot_epoch = self.epoch = 0
        self.rate = 0.0
        self.silent = 0  # consecutive batches without a gradient reaching layer 1
        self.silent_loss = 0.0  # their summed mean loss
        self.peak_loss = 0.0

    def start_epoch(self, epoch: int, rate: float) -> None:
        """Remember the parameters as good, unless the network has gone silent already."""
        self.epoch, self.rate = epoch, rate
        if self.silent == 0:
            self.snapshot = [p.copy() for p in self.params]
            self.snapshot_epoch = epoch

    def check_batch(self, batch: int, loss: float, first_bias_gradient: Array) -> None:
        """Check one batch's mean loss (before its update) and its first bias gradient."""
        if not math.isfinite(loss):
            self._fail(batch, f"the loss became {'NaN' if math.isnan(loss) else 'infinite'}")
        self.peak_loss = max(self.peak_loss, loss)
        if first_bias_gradient.any():
            self.silent, self.silent_loss = 0, 0.0
            return
        self.silent += 1
        self.silent_loss += loss
        stuck_at = self.silent_loss / self.silent
        if self.silent >= STALL_PATIENCE and stuck_at >= STALL_MIN_LOSS:
            self._fail(
                batch,
                f"the network stopped learning: for the last {self.silent} mini-batches no "
                f"gradient reached the first layer while the loss stayed at {stuck_at:.3g} (it "
                f"peaked at {self.peak_loss:.3g}), so its {self.network.activation} units are "
                f"dead or saturated for every input; a learning rate that is too high throws "
                f"the weights this far off in the first steps",
            )

    def check_parameters(self) -> None:
        """At the end of an epoch: the last update was not followed by a loss check."""
        if not all(np.isfinite(p).all() for p in self.params):
            self._fail(None, "the parameters became NaN or infinite")

    def _fail(self, batch: int | None, problem: str) -> NoReturn:
        for p, saved in zip(self.params, self.snapshot, strict=True):
            p[...] = saved
        where = f"at epoch {self.epoch}, batch {batch}" if batch else f"in epoch {self.epoch}"
        network, rate = self.network, self.rate
        model = f"{network.activation} + {network.output}/{network.cost}"
        if self.epoch == 1 and batch == 1:
            cause = (
                "The initial parameters already give a non-finite loss, before any update: "
                "check that the weights are finite and of a sensible scale"
            )
        elif self.l2 * rate >= 1.0:
            cause = (
                f"The weight decay l2 × learning rate = {self.l2 * rate:g} is ≥ 1, which makes "
                f"the weights oscillate and grow; use a smaller l2 (e.g. {self.l2 / 100:g})"
            )
        else:
            if self.optimizer == "adam":
                # Adam's step size is about the learning rate itself, whatever the gradient's
                # scale, so the useful range is fixed: ~1e-3, not a tenth of a rate that blew up.
                fix = (
                    f"try a learning rate of {min(rate / 10, 0.001):g} (adam works best near 0.001)"
                )
            else:
                fix = (
                    f"try a learning rate of {rate / 10:g} or lower, "
                    "or the adam optimizer with a learning rate of about 0.001"
                )
            cause = (
                f"The learning rate {rate:g} is probably too high for {model} with "
                f"{self.optimizer}; {fix}"
            )
        raise TrainingDiverged(
            f"training diverged {where}: {problem}. {cause}. The parameters were "
            f"restored to their values at the start of epoch {self.snapshot_epoch}.",
            epoch=self.epoch,
            batch=batch,
            learning_rate=rate,
        )


def limit_blas_threads(threads: int | None) -> contextlib.AbstractContextManager[object]:
    """Cap the BLAS thread pool at ``threads`` (None, or no threadpoolctl: leave it alone)."""
    if threads is None:
        return contextlib.nullcontext()
    try:
        threadpoolctl = importlib.import_module("threadpoolctl")
    except ImportError:
        return contextlib.nullcontext()
    limits: contextlib.AbstractContextManager[object] = threadpoolctl.threadpool_limits(
        limits=threads, user_api="blas"
    )
    return limits


def check_training_arguments(
    epochs: int, mini_batch_size: int, learning_rate: float, l2: float, optimizer: str
) -> None:
    """Refuse out-of-range training arguments with a ValueError naming the argument."""
    if epochs < 0:
        raise ValueError(f"epochs must be ≥ 0, got {epochs}")
    if mini_batch_size < 1:
        raise ValueError(f"mini_batch_size must be ≥ 1, got {mini_batch_size}")
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate}")
    if not (math.isfinite(l2) and l2 >= 0):
        raise ValueError(f"l2 must be ≥ 0, got {l2}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")


__all__: list[Any] = [
    "CONV_BLAS_THREADS",
    "STALL_MIN_LOSS",
    "STALL_PATIENCE",
    "TRAINING_BLAS_THREADS",
    "Augment",
    "DivergenceGuard",
    "EpochReport",
    "TrainingDiverged",
    "TrainingOptions",
    "check_training_arguments",
    "limit_blas_threads",
    "train",
]
