"""Learning-rate schedules: the learning rate of each epoch, from the base rate η₀.

* ``None`` / ``"constant"`` — η₀ every epoch (the original Hippo's behaviour).
* ``"step"`` — η₀, then η₀/10 from half-way through training and η₀/100 from three quarters
  (the classic step decay: big steps to get close, small ones to settle into the minimum).
* ``"cosine"`` — η₀ · ½(1 + cos(π t / T)) for epoch t = 0 … T − 1 (Loshchilov & Hutter, 2017):
  a smooth decay from η₀ towards 0 that needs no tuning of when to step.
"""

from __future__ import annotations

import math

SCHEDULES: tuple[str | None, ...] = (None, "constant", "step", "cosine")
"""Schedules, by name (``None`` and ``"constant"`` are the same)."""

STEP_FACTOR = 0.1


def check_schedule(schedule: str | None) -> None:
    """Raise ValueError when ``schedule`` is not one of :data:`SCHEDULES`."""
    if schedule not in SCHEDULES:
        names = ", ".join(s for s in SCHEDULES if s is not None)
        raise ValueError(f"unknown schedule {schedule!r}; choose one of {names} (or None)")


def learning_rate_at(schedule: str | None, base: float, epoch: int, epochs: int) -> float:
    """Return the learning rate for ``epoch`` (0-based) of ``epochs``.

    Args:
        schedule: One of :data:`SCHEDULES`.
        base: The base learning rate η₀.
        epoch: The epoch about to run, 0-based.
        epochs: How many epochs the run has in total.
    """
    check_schedule(schedule)
    if schedule is None or schedule == "constant":
        return base
    fraction = epoch / max(epochs, 1)
    if schedule == "step":
        drops = (fraction >= 0.5) + (fraction >= 0.75)
        return base * STEP_FACTOR**drops
    return base * 0.5 * (1.0 + math.cos(math.pi * fraction))
