"""The simple (Elman) recurrent layer: one tanh (or ReLU) layer applied at every step.

Forward, for step t = 1 … T (h₀ = 0):

    aₜ = xₜ W + hₜ₋₁ U + b
    hₜ = φ(aₜ)                       φ = tanh, or ReLU

Backward, with δhₜ the total error on hₜ (see :mod:`.base`):

    δaₜ = δhₜ ⊙ φ′(aₜ)               tanh: φ′ = 1 − hₜ²;   ReLU: φ′ = [hₜ > 0]
    δhₜ₋₁ = δaₜ Uᵀ   (+ the error from above for step t − 1, when every state is returned)

So the error reaching step k from step T is multiplied by ∏ diag(φ′(aₜ)) Uᵀ: with tanh every
diagonal factor is ≤ 1, and it vanishes over the 28 rows of a digit unless U keeps it up (the
module docstring of :mod:`.base` has the product). The ReLU variant with U initialised to the
identity (Le, Jaitly & Hinton, 2015, "IRNN") starts as a network that simply adds its inputs
up, δhₜ₋₁ = δhₜ wherever units are active: no decay at all at the start of training.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn_core.arrays import Array
from nn_core.layers.recurrent.base import Recurrent

NONLINEARITIES: tuple[str, ...] = ("tanh", "relu")
"""The simple RNN's φ."""


class SimpleRNN(Recurrent):
    """hₜ = φ(xₜW + hₜ₋₁U + b), φ = tanh (Glorot W, orthogonal U) or ReLU (He W, U = I).

    Args:
        units: H.
        return_sequences: Output every state (n, T, H) instead of the last (n, H).
        nonlinearity: "tanh" or "relu".
    """

    kind = "rnn"
    gates = 1

    def __init__(
        self, units: int, return_sequences: bool = False, nonlinearity: str = "tanh"
    ) -> None:
        super().__init__(units, return_sequences)
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(
                f"rnn: nonlinearity must be one of {', '.join(NONLINEARITIES)}, "
                f"got {nonlinearity!r}"
            )
        self.nonlinearity = nonlinearity
        self.input_rule = nonlinearity  # He for ReLU, Glorot for tanh

    def _recurrent_block(self, rng: np.random.Generator, dtype: np.dtype[Any]) -> Array:
        if self.nonlinearity == "relu":
            return np.eye(self.units, dtype=dtype)
        return super()._recurrent_block(rng, dtype)

    def _step(
        self,
        t: int,
        a: Array,
        hu: Array | None,
        h_prev: Array | None,
        h: Array,
        keep: dict[str, Array],
    ) -> None:
        if hu is not None:
            a += hu
        if self.nonlinearity == "tanh":
            np.tanh(a, out=h)
        else:
            np.maximum(a, 0.0, out=h)

    def _step_backward(
        self, t: int, dh: Array, da: Array, h_prev: Array | None
    ) -> tuple[Array, Array | None]:
        h = self._saved["h"][:, t]
        if self.nonlinearity == "tanh":
            np.multiply(h, h, out=da)
            np.subtract(1.0, da, out=da)
            da *= dh
        else:
            np.greater(h, 0.0, out=da)  # (bool → float: 1 where active)
            da *= dh
        return da, None

    def spec(self) -> dict[str, Any]:
        """``{"type": "rnn", "units", "return_sequences", "nonlinearity"}``."""
        return {**super().spec(), "nonlinearity": self.nonlinearity}
