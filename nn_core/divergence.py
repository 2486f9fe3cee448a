"""The divergence guard: stop a run whose loss blew up or whose units died, and say why.

Too large a learning rate fails in one of two ways: the loss becomes NaN or infinite, or the
network dies — the first steps throw the weights so far that every ReLU outputs 0 for every
input, no gradient reaches the first layer any more, and the loss sits at chance level for ever
(:mod:`nn_core.network` has the original Hippo's example of the latter). Either way training
stops with :class:`TrainingDiverged`, the parameters restored, and a message naming the cause
and a fix: a learning rate from the optimizer's documented range
(:data:`nn_core.optimizers.LEARNING_RATE_RANGES`).
"""

from __future__ import annotations

import math
from typing import NoReturn

import numpy as np

from nn_core.arrays import Array
from nn_core.optimizers import learning_rate_range
from nn_core.trainable import Trainable

STALL_PATIENCE = 50
"""Consecutive mini-batches without any gradient reaching the first layer that mean "dead"."""

STALL_MIN_LOSS = 1e-3
"""...unless the mean loss over them is below this: then the network simply fits those batches."""

ADAM_FALLBACK_RATE = 0.001
"""The rate suggested for switching to Adam (the middle of its documented range)."""


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


def learning_rate_advice(optimizer: str, activation: str, rate: float) -> str:
    """What to try after ``rate`` diverged: a rate from ``optimizer``'s documented range.

    The suggestion is a tenth of the rate that failed, kept inside the range (and always below
    the failed rate); for any optimizer but Adam, Adam is offered too.

    Momentum diverging at 3.0, for one, is told to try 0.1 (its range is 0.01 to 0.1), or
    Adam at 0.001.
    """
    documented = learning_rate_range(optimizer, activation)
    suggestion = min(max(rate / 10, documented.low), documented.high)
    if suggestion >= rate:
        suggestion = rate / 10
    advice = f"try a learning rate of {suggestion:g} ({optimizer} trains well with {documented})"
    if optimizer != "adam":
        advice += f", or the adam optimizer with a learning rate of about {ADAM_FALLBACK_RATE:g}"
    return advice


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

    def __init__(self, network: Trainable, params: list[Array], optimizer: str, l2: float) -> None:
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
            fix = learning_rate_advice(self.optimizer, network.activation, rate)
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
