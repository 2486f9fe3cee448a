"""Inverted dropout: in training, zero each input with probability p, scale the rest by 1/(1 − p).

Training draws a fresh mask per mini-batch, mᵢ ~ Bernoulli(1 − p), and computes

    a = x ⊙ m / (1 − p).

The scale 1/(1 − p) makes E[a] = x, so at inference the layer is simply the identity: no
rescaling of the weights is needed afterwards ("inverted" dropout, as opposed to the original
paper's scaling of the weights by 1 − p at test time). Backward, for the same mask:

    ∂C/∂x = ∂C/∂a ⊙ m / (1 − p)

— a dropped unit receives no error, a kept one the error scaled like its output was. Each
mini-batch trains a different random thinned network; the full network at test time
approximates their average, which is why dropout regularises.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn_core.arrays import Array
from nn_core.layers.base import Layer


class Dropout(Layer):
    """Inverted dropout with drop probability ``rate`` (0 ≤ rate < 1)."""

    kind = "dropout"

    def __init__(self, rate: float) -> None:
        super().__init__()
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"dropout: rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self._rng = np.random.default_rng()
        self._mask: Array | None = None

    def set_rng(self, rng: np.random.Generator) -> None:
        """Masks are drawn from the network's generator, so a seed fixes them too."""
        self._rng = rng

    def forward(self, x: Array, training: bool = False) -> Array:
        """Return x ⊙ m / (1 − p) in training, x unchanged at inference."""
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        mask = self._buffer("mask", x.shape)
        if mask.dtype == np.float32:
            self._rng.random(dtype=np.float32, out=mask)
        else:
            self._rng.random(out=mask)  # type: ignore[type-var]
        # m / (1 − p): 1/(1 − p) where the draw is ≥ p, else 0.
        np.greater_equal(mask, self.rate, out=mask, casting="unsafe")
        mask *= 1.0 / (1.0 - self.rate)
        self._mask = mask
        return np.multiply(x, mask, out=self._buffer("a", x.shape))

    def backward(self, delta: Array, need_input_gradient: bool = True) -> Array | None:
        """δ ⊙ m / (1 − p) (δ itself at rate 0)."""
        if not need_input_gradient:
            return None
        if self._mask is None:
            return delta
        return np.multiply(delta, self._mask, out=self._buffer("dx", delta.shape))

    def spec(self) -> dict[str, Any]:
        """``{"type": "dropout", "rate": p}``."""
        return {"type": "dropout", "rate": self.rate}
