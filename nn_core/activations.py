"""Activation functions σ and their derivatives σ′, for hidden layers and the output layer.

A layer computes ``z = w·a + b`` and then ``a′ = σ(z)``. Backpropagation needs ``σ′(z)``; for
every function here it is cheaper to express it through the output ``a = σ(z)`` that the forward
pass already holds (``σ′ = a(1 − a)`` for the sigmoid, ``1 − a²`` for tanh, a step for ReLU), so
:meth:`Activation.derivative` receives both ``z`` and ``a`` and uses whichever is cheaper.

All functions work element-wise on arrays of any shape and keep the input's dtype (float32 stays
float32: Python scalars are "weak" in NumPy 2 and never upcast an array).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from nn_core.arrays import Array

ACTIVATIONS: tuple[str, ...] = ("sigmoid", "relu", "leaky_relu", "tanh")
"""Hidden-layer activations, by name."""

OUTPUTS: tuple[str, ...] = ("softmax", "sigmoid")
"""Output-layer activations, by name."""

LEAKY_RELU_SLOPE = 0.01
"""Slope of leaky ReLU for z < 0 (the usual value; a gradient still flows through "dead" units)."""


def sigmoid(z: Array, out: Array | None = None) -> Array:
    """The logistic function σ(z) = 1 / (1 + e^(−z)).

    Computed as ½·tanh(z/2) + ½, the same function written so that it never overflows: the naive
    form evaluates e^(−z) = inf for z < −88 in float32 (harmless, but NumPy warns about it).
    """
    out = np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def softmax(z: Array, out: Array | None = None) -> Array:
    """Softmax over the last axis: a_j = e^(z_j) / Σ_k e^(z_k).

    Subtracting max(z) first leaves the result unchanged (the factor e^(−max) cancels) and keeps
    every exponent ≤ 0, so nothing overflows however large the logits grow.
    """
    out = np.subtract(z, z.max(axis=-1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=-1, keepdims=True)
    return out


class Activation(Protocol):
    """A hidden-layer activation: σ(z) and σ′(z)."""

    @property
    def name(self) -> str:
        """The activation's name, one of :data:`ACTIVATIONS`."""
        ...

    def forward(self, z: Array, out: Array | None = None) -> Array:
        """Return σ(z), written into ``out`` when given."""
        ...

    def derivative(self, z: Array, a: Array, out: Array | None = None) -> Array:
        """Return σ′(z), given z and a = σ(z); written into ``out`` when given."""
        ...


@dataclass(frozen=True)
class Sigmoid:
    """σ(z) = 1 / (1 + e^(−z)); σ′(z) = σ(z)(1 − σ(z)). Nielsen's original neuron."""

    name: str = "sigmoid"

    def forward(self, z: Array, out: Array | None = None) -> Array:
        """Return σ(z)."""
        return sigmoid(z, out=out)

    def derivative(self, z: Array, a: Array, out: Array | None = None) -> Array:
        """Return a(1 − a)."""
        out = np.subtract(1.0, a, out=out)
        out *= a
        return out


@dataclass(frozen=True)
class Tanh:
    """tanh(z) = 2σ(2z) − 1, zero-centred; tanh′(z) = 1 − tanh²(z)."""

    name: str = "tanh"

    def forward(self, z: Array, out: Array | None = None) -> Array:
        """Return tanh(z)."""
        return np.tanh(z, out=out)

    def derivative(self, z: Array, a: Array, out: Array | None = None) -> Array:
        """Return 1 − a²."""
        out = np.multiply(a, a, out=out)
        np.subtract(1.0, out, out=out)
        return out


@dataclass(frozen=True)
class ReLU:
    """max(0, z); derivative 1 for z > 0, else 0 (the value at exactly 0 is a convention)."""

    name: str = "relu"

    def forward(self, z: Array, out: Array | None = None) -> Array:
        """Return max(0, z)."""
        return np.maximum(z, 0.0, out=out)

    def derivative(self, z: Array, a: Array, out: Array | None = None) -> Array:
        """Return the step function [z > 0] as 0.0 / 1.0."""
        if out is None:
            out = np.empty_like(z)
        np.greater(z, 0.0, out=out, casting="unsafe")
        return out


@dataclass(frozen=True)
class LeakyReLU:
    """z for z > 0, else αz with α = 0.01; derivative 1 or α."""

    name: str = "leaky_relu"
    slope: float = LEAKY_RELU_SLOPE

    def forward(self, z: Array, out: Array | None = None) -> Array:
        """Return max(z, αz) (equal to the piecewise definition because 0 < α < 1)."""
        result: Array = np.maximum(z, self.slope * z, out=out)
        return result

    def derivative(self, z: Array, a: Array, out: Array | None = None) -> Array:
        """Return 1 where z > 0, α elsewhere."""
        if out is None:
            out = np.empty_like(z)
        # [z > 0]·(1 − α) + α, computed without a temporary.
        np.greater(z, 0.0, out=out, casting="unsafe")
        out *= 1.0 - self.slope
        out += self.slope
        return out


_HIDDEN: dict[str, Activation] = {
    "sigmoid": Sigmoid(),
    "tanh": Tanh(),
    "relu": ReLU(),
    "leaky_relu": LeakyReLU(),
}


def get_activation(name: str) -> Activation:
    """Return the hidden-layer activation called ``name``.

    Raises:
        ValueError: ``name`` is not one of :data:`ACTIVATIONS`.
    """
    try:
        return _HIDDEN[name]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}"
        ) from None


def output_forward(name: str, z: Array, out: Array | None = None) -> Array:
    """Apply the output activation ``name`` ("softmax" or "sigmoid") to the logits ``z``."""
    if name == "softmax":
        return softmax(z, out=out)
    if name == "sigmoid":
        return sigmoid(z, out=out)
    raise ValueError(f"unknown output {name!r}; choose one of {', '.join(OUTPUTS)}")
