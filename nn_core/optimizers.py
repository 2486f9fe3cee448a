"""Optimizers: how a gradient becomes a parameter update.

Each optimizer updates a list of parameter arrays in place from the gradients of the mean
mini-batch cost, ∇C = (1/m) Σ_x ∇C_x (so the learning rate η does not depend on the batch size;
this is Nielsen's η/m · Σ_x ∇C_x written the other way round):

* **sgd** — plain gradient descent: p ← p − η ∇C.
* **momentum** — a velocity v that remembers past steps (Nielsen, chapter 3; μ is "momentum"):
  v ← μ v − η ∇C;  p ← p + v. Consistent gradient directions build speed, oscillating ones cancel.
* **adam** — per-parameter step sizes from running estimates of the gradient's first and second
  moments (Kingma & Ba, 2015): m ← β₁m + (1 − β₁)∇C; v ← β₂v + (1 − β₂)∇C²;
  p ← p − η m̂ / (√v̂ + ε), with the bias corrections m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ).
  Its usual η is about 1e-3, far below SGD's.

The updates are written with ``out=`` / in-place operators, so after the first step no optimizer
allocates memory: the training loop calls :meth:`Optimizer.step` once per mini-batch. The
gradient arrays passed in are scratch space afterwards (they may be overwritten).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from nn_core.arrays import Array

OPTIMIZERS: tuple[str, ...] = ("sgd", "momentum", "adam")
"""Optimizers, by name."""


@dataclass(frozen=True)
class LearningRateRange:
    """The learning rates an optimizer trains well with (both ends included)."""

    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.low:g} to {self.high:g}"


LEARNING_RATE_RANGES: dict[str, dict[str, LearningRateRange]] = {
    "sgd": {"sigmoid": LearningRateRange(0.1, 3.0), "*": LearningRateRange(0.01, 0.5)},
    "momentum": {"*": LearningRateRange(0.01, 0.1)},
    "adam": {"*": LearningRateRange(0.0005, 0.002)},
}
"""The documented learning-rate range of each optimizer, by hidden activation ("*": any other).

The table of docs/TRAINING.md. Plain SGD depends on the units: sigmoid's σ′ ≤ ¼ damps every
gradient, so it wants rates up to 3 (Nielsen's η = 3.0), while ReLU-like units pass gradients
undamped. Momentum takes steps about 1 / (1 − μ) = 10 times plain SGD's, hence a range ten
times lower; Adam's step is about η whatever the gradient's scale, so its range is fixed.
"""


def learning_rate_range(optimizer: str, activation: str = "relu") -> LearningRateRange:
    """The documented range of :data:`LEARNING_RATE_RANGES` for ``optimizer`` and ``activation``.

    Raises:
        ValueError: ``optimizer`` is not one of :data:`OPTIMIZERS`.
    """
    if optimizer not in LEARNING_RATE_RANGES:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
    ranges = LEARNING_RATE_RANGES[optimizer]
    return ranges.get(activation, ranges["*"])


ADAM_EPSILON = 1e-8


OptimizerState = dict[str, Any]
"""What an optimizer remembers between steps: lists of arrays (shaped like the parameters) by
name, and integers (Adam's step count). A resumed run loads it back (:meth:`Optimizer.load_state`)
so that its next step is the one the uninterrupted run would have taken."""


class Optimizer(Protocol):
    """Updates parameters in place from their gradients."""

    def step(self, params: list[Array], grads: list[Array], learning_rate: float) -> None:
        """Apply one update; ``grads[i]`` is ∂C/∂``params[i]`` and may be overwritten."""
        ...

    def state(self) -> OptimizerState:
        """A copy of what the optimizer remembers (arrays copied: training goes on)."""
        ...

    def load_state(self, state: OptimizerState) -> None:
        """Continue from :meth:`state` of an optimizer of the same kind and parameter shapes."""
        ...


def _load_arrays(name: str, mine: list[Array], saved: Any) -> None:
    """Copy saved arrays into the optimizer's own (shapes checked: a wrong file is loud)."""
    if not isinstance(saved, list | tuple) or len(saved) != len(mine):
        raise ValueError(f"optimizer state {name!r}: expected {len(mine)} arrays")
    for index, (target, source) in enumerate(zip(mine, saved, strict=True)):
        if np.shape(source) != target.shape:
            raise ValueError(
                f"optimizer state {name!r}[{index}]: shape {np.shape(source)}, "
                f"expected {target.shape}"
            )
        target[...] = source


class SGD:
    """p ← p − η ∇C."""

    def step(self, params: list[Array], grads: list[Array], learning_rate: float) -> None:
        """Apply one gradient-descent step."""
        for p, g in zip(params, grads, strict=True):
            g *= learning_rate
            p -= g

    def state(self) -> OptimizerState:
        """Plain gradient descent remembers nothing."""
        return {}

    def load_state(self, state: OptimizerState) -> None:
        """Nothing to load."""


class Momentum:
    """v ← μ v − η ∇C;  p ← p + v."""

    def __init__(self, params: list[Array], momentum: float = 0.9) -> None:
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.momentum = momentum
        self.velocities = [np.zeros_like(p) for p in params]

    def step(self, params: list[Array], grads: list[Array], learning_rate: float) -> None:
        """Apply one momentum step."""
        for p, g, v in zip(params, grads, self.velocities, strict=True):
            v *= self.momentum
            g *= learning_rate
            v -= g
            p += v

    def state(self) -> OptimizerState:
        """The velocities."""
        return {"velocities": [v.copy() for v in self.velocities]}

    def load_state(self, state: OptimizerState) -> None:
        """Continue with saved velocities."""
        _load_arrays("velocities", self.velocities, state.get("velocities"))


class Adam:
    """Adam with bias-corrected moment estimates."""

    def __init__(
        self,
        params: list[Array],
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = ADAM_EPSILON,
    ) -> None:
        for name, beta in (("beta1", beta1), ("beta2", beta2)):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {beta}")
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.t = 0
        self.first = [np.zeros_like(p) for p in params]
        self.second = [np.zeros_like(p) for p in params]
        self._scratch = [np.empty_like(p) for p in params]

    def step(self, params: list[Array], grads: list[Array], learning_rate: float) -> None:
        """Apply one Adam step."""
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        # Fold both bias corrections into the step size and ε (algebraically identical to
        # dividing m and v by (1 − βᵗ), and two scalar operations instead of two array ones).
        correction = math.sqrt(1.0 - b2**self.t)
        step_size = learning_rate * correction / (1.0 - b1**self.t)
        epsilon = self.epsilon * correction
        for p, g, m, v, s in zip(
            params, grads, self.first, self.second, self._scratch, strict=True
        ):
            m *= b1
            np.multiply(g, 1.0 - b1, out=s)
            m += s
            v *= b2
            np.multiply(g, g, out=s)
            s *= 1.0 - b2
            v += s
            np.sqrt(v, out=s)
            s += epsilon
            np.divide(m, s, out=s)
            s *= step_size
            p -= s

    def state(self) -> OptimizerState:
        """The step count and both moment estimates."""
        return {
            "t": self.t,
            "first": [m.copy() for m in self.first],
            "second": [v.copy() for v in self.second],
        }

    def load_state(self, state: OptimizerState) -> None:
        """Continue from a saved step count and moments."""
        self.t = int(state.get("t", 0))
        _load_arrays("first", self.first, state.get("first"))
        _load_arrays("second", self.second, state.get("second"))


def make_optimizer(
    name: str,
    params: list[Array],
    *,
    momentum: float = 0.9,
    beta1: float = 0.9,
    beta2: float = 0.999,
) -> Optimizer:
    """Return a fresh optimizer ``name`` with its state shaped like ``params``.

    Raises:
        ValueError: ``name`` is not one of :data:`OPTIMIZERS`, or a coefficient is out of range.
    """
    if name == "sgd":
        return SGD()
    if name == "momentum":
        return Momentum(params, momentum)
    if name == "adam":
        return Adam(params, beta1, beta2)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
