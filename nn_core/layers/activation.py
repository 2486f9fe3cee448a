"""An activation function as a layer: a = σ(z), element-wise, with no parameters.

Backward: ∂C/∂z = ∂C/∂a ⊙ σ′(z) (the second half of BP2), σ′ computed from z or a, whichever is
cheaper (see :mod:`nn_core.activations`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn_core.activations import ACTIVATIONS, get_activation
from nn_core.arrays import Array
from nn_core.layers.base import Layer


class ActivationLayer(Layer):
    """σ applied element-wise: one of :data:`nn_core.activations.ACTIVATIONS`."""

    kind = "activation"

    def __init__(self, function: str) -> None:
        super().__init__()
        if function not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {function!r}; choose one of {', '.join(ACTIVATIONS)}"
            )
        self.function = function
        self._sigma = get_activation(function)
        self._z: Array | None = None
        self._a: Array | None = None

    def forward(self, x: Array, training: bool = False) -> Array:
        """Compute a = σ(z)."""
        if not training:
            return self._sigma.forward(x)
        a = self._sigma.forward(x, out=self._buffer("a", x.shape))
        self._z, self._a = x, a
        return a

    def backward(self, delta: Array, need_input_gradient: bool = True) -> Array | None:
        """δ ⊙ σ′(z), computed in place in δ (the layer above is done with it)."""
        if not need_input_gradient:
            return None
        z, a = self._z, self._a
        assert z is not None, "backward() before forward(training=True)"
        assert a is not None
        if not delta.flags.writeable or delta.shape != z.shape:
            delta = np.array(delta, dtype=self.dtype).reshape(z.shape)
        delta *= self._sigma.derivative(z, a, out=self._buffer("slope", z.shape))
        return delta

    def spec(self) -> dict[str, Any]:
        """``{"type": "activation", "function": name}``."""
        return {"type": "activation", "function": self.function}
