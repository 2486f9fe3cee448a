"""The training loop, for any network of layers: mini-batches, optimizer, schedule, L2, guard.

:func:`train` is what :meth:`nn_core.sequential.Sequential.train` (and so
``NeuralNetwork.train``) runs. It knows nothing about what the layers are: it asks the network for
the gradient of a mini-batch's mean cost (:meth:`~nn_core.sequential.Sequential.backprop`), which
fills every layer's ``grads``, and lets the optimizer update every layer's ``params`` in place.

The options of a run (epochs, mini-batch size, optimizer, schedule, L2) are one
:class:`~nn_core.hyperparameters.Hyperparameters`, validated before :func:`train` is called.
With ``clip_norm`` set, the gradients are clipped to that global norm after backpropagation and
before the optimizer's step (:func:`nn_core.clipping.clip_gradient_norm`), and each epoch's
report says how long they were before clipping. Too large a learning rate stops training with
:class:`~nn_core.divergence.TrainingDiverged`
(see :mod:`nn_core.divergence`).
"""

from __future__ import annotations

import contextlib
import importlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nn_core.arrays import Array
from nn_core.clipping import clip_gradient_norm
from nn_core.divergence import STALL_MIN_LOSS, STALL_PATIENCE, DivergenceGuard, TrainingDiverged
from nn_core.hyperparameters import Hyperparameters
from nn_core.optimizers import Optimizer, OptimizerState, make_optimizer
from nn_core.schedules import learning_rate_at
from nn_core.trainable import Trainable

Augment = Callable[[Array, np.random.Generator], Array]
"""An on-the-fly augmentation: (batch of rows, generator) → batch of rows of the same shape."""

TRAINING_BLAS_THREADS: int | None = 1
"""BLAS threads while :func:`train` runs a fully connected network (None: leave BLAS as it is).

A fully connected network's mini-batch products are small (64 × 784 by 784 × 100 is 5 MFLOP, a
tenth of a millisecond on one core), so splitting each of them across threads costs more in
hand-offs than it gains; on a busy machine, where a thread has to wait for a core, it is ruinous
(the measurements are in docs/TRAINING.md, "Threads"). The limit needs the ``threadpoolctl``
package; without it, set ``OPENBLAS_NUM_THREADS`` in the environment.
"""

CONV_BLAS_THREADS: int | None = 1
"""BLAS threads while a network with convolution layers trains (None: leave BLAS as it is).

Convolutions' im2col products are large enough that splitting them could pay on an idle
machine, so they have a limit of their own; it is one thread too, because on a busy machine the
second thread mostly waits for a core (docs/TRAINING.md, "Threads"; ``bench/cnn_speed.py``
compares with ``BENCH_CNN_THREADS``)."""


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
        gradient_norm: With clipping, the mean over the epoch's mini-batches of the gradients'
            global norm before clipping (None without clipping: it is not computed then).
        clipped_fraction: With clipping, the fraction of the epoch's mini-batches whose
            gradients were longer than ``clip_norm`` and were scaled down (None without).
    """

    epoch: int
    train_loss: float
    validation_accuracy: float | None
    validation_loss: float | None
    learning_rate: float
    seconds: float
    gradient_norm: float | None = None
    clipped_fraction: float | None = None


@dataclass(frozen=True)
class LoopState:
    """Where the loop stands after an epoch, beyond the parameters: enough to go on exactly.

    A run resumed from this state and the network's parameters of the same moment takes the
    very steps the uninterrupted run would have taken (same shuffles, dropout masks,
    augmentations, learning rates and optimizer updates), so it ends with the same weights.

    Attributes:
        epoch: Epochs completed (the next one is ``epoch + 1``; the schedule follows from it).
        optimizer: The optimizer's memory (:meth:`nn_core.optimizers.Optimizer.state`).
        rng: The network's generator state (``bit_generator.state``: plain, JSON-ready values).
    """

    epoch: int
    optimizer: OptimizerState
    rng: dict[str, Any]


def train(
    network: Trainable,
    X: Array,
    Y: Array,
    options: Hyperparameters,
    augment: Augment | None,
    eval_set: tuple[Array, NDArray[np.int64]] | None,
    on_batch: Callable[[int, int], None] | None,
    on_epoch: Callable[[EpochReport], bool | None] | None,
    *,
    resume: LoopState | None = None,
    on_checkpoint: Callable[[LoopState], None] | None = None,
) -> list[EpochReport]:
    """Run ``options.epochs`` epochs of mini-batch training on rows X with target rows Y.

    Args:
        network: The network; its parameters are updated in place.
        X: Inputs, one sample per row, in the network's dtype.
        Y: Targets, one row per sample.
        options: Epochs, mini-batch size, optimizer, schedule, L2 (validated by the caller;
            the architecture fields are not used: the network is built).
        augment: Applied to every mini-batch's inputs before its gradient step.
        eval_set: Evaluated after each epoch for the report's accuracy and loss.
        on_batch: Called after every mini-batch with (batches done, batches in the epoch).
        on_epoch: Called after every epoch; returning False stops training.
        resume: Continue a run from this state (the network already holds the parameters saved
            with it): epochs ``resume.epoch + 1`` … ``options.epochs`` are run.
        on_checkpoint: Called after every epoch (after ``on_epoch``) with the loop's state, for
            a caller that saves checkpoints; None costs nothing.

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
    first_epoch = 1
    if resume is not None:
        state.optimizer.load_state(resume.optimizer)
        # In place: the layers (dropout) share this generator object.
        network.rng.bit_generator.state = resume.rng
        first_epoch = resume.epoch + 1
    threads = CONV_BLAS_THREADS if network.has_convolutions else TRAINING_BLAS_THREADS
    try:
        with limit_blas_threads(threads):
            for epoch in range(first_epoch, options.epochs + 1):
                started = time.perf_counter()
                rate = learning_rate_at(
                    options.schedule, options.learning_rate, epoch - 1, options.epochs
                )
                state.guard.start_epoch(epoch, rate)
                train_loss, norms = _run_epoch(
                    network, state, X, Y, options, augment, rate, on_batch
                )
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
                    gradient_norm=norms.mean if norms is not None else None,
                    clipped_fraction=norms.clipped_fraction if norms is not None else None,
                )
                reports.append(report)
                stop = on_epoch is not None and on_epoch(report) is False
                if on_checkpoint is not None:
                    on_checkpoint(
                        LoopState(
                            epoch, state.optimizer.state(), dict(network.rng.bit_generator.state)
                        )
                    )
                if stop:
                    break
    finally:
        network.clear_buffers()
    return reports


@dataclass
class _Norms:
    """The pre-clipping gradient norms of one epoch's mini-batches."""

    total: float = 0.0
    batches: int = 0
    clipped: int = 0

    @property
    def mean(self) -> float:
        return self.total / self.batches if self.batches else 0.0

    @property
    def clipped_fraction(self) -> float:
        return self.clipped / self.batches if self.batches else 0.0


@dataclass
class _Epochs:
    optimizer: Optimizer
    guard: DivergenceGuard
    params: list[Array]
    grads: list[Array]


def _run_epoch(
    network: Trainable,
    state: _Epochs,
    X: Array,
    Y: Array,
    options: Hyperparameters,
    augment: Augment | None,
    rate: float,
    on_batch: Callable[[int, int], None] | None,
) -> tuple[float, _Norms | None]:
    """One pass over shuffled mini-batches; return the mean training loss seen (and norms)."""
    n = len(X)
    batch_size = options.mini_batch_size
    batches = math.ceil(n / batch_size)
    rng = network.rng
    order = rng.permutation(n)
    total = 0.0
    clip_norm = options.clip_norm
    norms = _Norms() if clip_norm is not None else None
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
            batch_x = augment(xb, rng) if augment is not None else xb
            batch_total = network.backprop(batch_x, yb, options.l2)
            state.guard.check_batch(batch + 1, batch_total / rows, network.first_bias_gradient())
            total += batch_total
            if norms is not None and clip_norm is not None:
                # After the guard's check (a NaN gradient stops training there) and before the
                # step, which must see the clipped gradients.
                norm = clip_gradient_norm(state.grads, clip_norm)
                norms.total += norm
                norms.batches += 1
                norms.clipped += norm > clip_norm
            state.optimizer.step(state.params, state.grads, rate)
            if on_batch is not None:
                on_batch(batch + 1, batches)
    state.guard.check_parameters()
    return total / n, norms


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


__all__: list[Any] = [
    "CONV_BLAS_THREADS",
    "STALL_MIN_LOSS",
    "STALL_PATIENCE",
    "TRAINING_BLAS_THREADS",
    "Augment",
    "DivergenceGuard",
    "EpochReport",
    "LoopState",
    "TrainingDiverged",
    "limit_blas_threads",
    "train",
]
