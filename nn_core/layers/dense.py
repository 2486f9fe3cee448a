"""The fully connected layer: z = W a + b, for a batch Z = A Wᵀ + b.

Weights ``W`` have shape (units, inputs) — ``W[j, k]`` connects input k to unit j, Nielsen's
convention — and biases ``b`` shape (units,). With Δ = ∂C/∂Z (one row per sample; the cost's
1/m already folded in by the network, see :mod:`nn_core.network`):

    ∂C/∂b = Σ_rows Δ          (BP3)
    ∂C/∂W = Δᵀ A              (BP4; entry (j, k) is Σ_x δ_xj a_xk, the sum over the batch)
    ∂C/∂A = Δ W               (the first half of BP2; the activation layer does ⊙ σ′(Z))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nn_core.arrays import Array
from nn_core.initialization import init_std, standard_normal
from nn_core.layers.base import Layer, Shape


class Dense(Layer):
    """A fully connected layer of ``units`` neurons (input: (n, features))."""

    kind = "dense"

    def __init__(self, units: int) -> None:
        super().__init__()
        if units < 1:
            raise ValueError(f"dense: units must be ≥ 1, got {units}")
        self.units = int(units)
        self._x: Array | None = None

    def _build(
        self, input_shape: Shape, rng: np.random.Generator, dtype: np.dtype[Any], init: str
    ) -> Shape:
        if len(input_shape) != 1:
            raise ValueError(
                f"dense needs flat inputs, got samples of shape {input_shape} "
                "(put a flatten layer before it)"
            )
        fan_in = input_shape[0]
        # Drawn exactly like nn_core.initialization.init_parameters, so that a seed gives the
        # same network whether it is built from sizes or from layers.
        weight = standard_normal(rng, (self.units, fan_in), dtype)
        weight *= init_std(init, fan_in, self.units)
        self.weight: Array = weight
        self.bias: Array = np.zeros(self.units, dtype=dtype)
        self.params = [self.weight, self.bias]
        self.decayed = (0,)
        return (self.units,)

    def set_parameters(self, *arrays: Array) -> None:
        """Replace W and b (arrays used as given: the caller has checked shape and dtype)."""
        weight, bias = arrays
        self.weight, self.bias = weight, bias
        self.params = [weight, bias]
        self.grads = [np.zeros_like(weight), np.zeros_like(bias)]

    def forward(self, x: Array, training: bool = False) -> Array:
        """Z = X Wᵀ + b."""
        if training:
            self._x = x
            z = np.matmul(x, self.weight.T, out=self._buffer("z", (len(x), self.units)))
        else:
            z = x @ self.weight.T
        z += self.bias
        return z

    def backward(self, delta: Array, need_input_gradient: bool = True) -> Array | None:
        """BP3 and BP4 into :attr:`grads`; return Δ W."""
        x = self._x
        assert x is not None, "backward() before forward(training=True)"
        np.matmul(delta.T, x, out=self.grads[0])  # BP4
        delta.sum(axis=0, out=self.grads[1])  # BP3
        if not need_input_gradient:
            return None
        return np.matmul(delta, self.weight, out=self._buffer("dx", x.shape))

    def spec(self) -> dict[str, Any]:
        """``{"type": "dense", "units": n}``."""
        return {"type": "dense", "units": self.units}

    @property
    def fan_in(self) -> int:
        """Inputs per unit."""
        return math.prod(self.input_shape)
