"""The LSTM (Hochreiter & Schmidhuber, 1997, with the forget gate of Gers et al., 2000).

Forward
-------
Besides the hidden state hₜ the LSTM carries a cell state cₜ (both H numbers, h₀ = c₀ = 0).
At every step the four gates come out of one product, aₜ = xₜW + hₜ₋₁U + b, cut into four
column blocks of H in PyTorch's order (i, f, g, o):

    iₜ = σ(aₜⁱ)                      input gate: how much of the candidate to write
    fₜ = σ(aₜᶠ)                      forget gate: how much of the old cell to keep
    gₜ = tanh(aₜᵍ)                   the candidate values
    oₜ = σ(aₜᵒ)                      output gate: how much of the cell to show
    cₜ = fₜ ⊙ cₜ₋₁ + iₜ ⊙ gₜ
    hₜ = oₜ ⊙ tanh(cₜ)

Backward (through time)
-----------------------
Two errors are carried backwards from step t + 1 to step t: δhₜ (on the state; what arrives
from above for step t plus δaₜ₊₁ Uᵀ) and δcₜ (on the cell, from cₜ₊₁ = fₜ₊₁ ⊙ cₜ + …). With
σ′ = σ(1 − σ) and tanh′ = 1 − tanh²:

    δoₜ = δhₜ ⊙ tanh(cₜ)                       δaₜᵒ = δoₜ ⊙ oₜ(1 − oₜ)
    δcₜ = δcₜ (carried) + δhₜ ⊙ oₜ ⊙ (1 − tanh²(cₜ))
    δiₜ = δcₜ ⊙ gₜ                             δaₜⁱ = δiₜ ⊙ iₜ(1 − iₜ)
    δfₜ = δcₜ ⊙ cₜ₋₁                           δaₜᶠ = δfₜ ⊙ fₜ(1 − fₜ)
    δgₜ = δcₜ ⊙ iₜ                             δaₜᵍ = δgₜ ⊙ (1 − gₜ²)
    δcₜ₋₁ = δcₜ ⊙ fₜ                           (carried to step t − 1)
    δhₜ₋₁ = δaₜ Uᵀ (+ the error from above for step t − 1)

and δaₜ = [δaₜⁱ, δaₜᶠ, δaₜᵍ, δaₜᵒ] feeds the shared ∂C/∂W, ∂C/∂U, ∂C/∂b (see :mod:`.base`).

Why it does not vanish as fast: the cell path δcₜ₋₁ = δcₜ ⊙ fₜ has no weight matrix and no
squashing derivative, so while the forget gates stay near 1 the error reaches the first rows
almost intact (the "constant error carousel"). That is why the forget-gate bias starts at 1
(Jozefowicz et al., 2015): σ(1) ≈ 0.73, so the network begins by remembering.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn_core.arrays import Array
from nn_core.layers.recurrent.base import Recurrent, sigmoid_


class LSTM(Recurrent):
    """Long short-term memory: gates i, f, g, o (PyTorch's order), forget-gate bias 1.

    Args:
        units: H.
        return_sequences: Output every state (n, T, H) instead of the last (n, H).
    """

    kind = "lstm"
    gates = 4
    gate_names = ("i", "f", "g", "o")

    def _initial_bias(self, dtype: np.dtype[Any]) -> Array:
        bias = np.zeros(4 * self.units, dtype=dtype)
        bias[self.units : 2 * self.units] = 1.0  # the forget gate: start by remembering
        return bias

    def _extra(self) -> tuple[str, ...]:
        return ("c", "tanh_c")

    def _step(
        self,
        t: int,
        a: Array,
        hu: Array | None,
        h_prev: Array | None,
        h: Array,
        keep: dict[str, Array],
    ) -> None:
        H = self.units
        if hu is not None:
            a += hu
        sigmoid_(a[:, : 2 * H])  # i, f
        np.tanh(a[:, 2 * H : 3 * H], out=a[:, 2 * H : 3 * H])  # g
        sigmoid_(a[:, 3 * H :])  # o
        i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        c, tanh_c = keep["c"][:, t], keep["tanh_c"][:, t]
        np.multiply(i, g, out=c)
        if t:
            c += f * keep["c"][:, t - 1]
        np.tanh(c, out=tanh_c)
        np.multiply(o, tanh_c, out=h)

    def _begin_backward(self, n: int) -> None:
        self._dc = self._buffer("dc", (n, self.units))
        self._dc.fill(0.0)
        self._tmp = self._buffer("tmp", (n, self.units))

    def _step_backward(
        self, t: int, dh: Array, da: Array, h_prev: Array | None
    ) -> tuple[Array, Array | None]:
        H = self.units
        gates = self._saved["a"][:, t]
        i, f, g, o = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H : 3 * H], gates[:, 3 * H :]
        tanh_c = self._saved["tanh_c"][:, t]
        da_i, da_f, da_g, da_o = da[:, :H], da[:, H : 2 * H], da[:, 2 * H : 3 * H], da[:, 3 * H :]
        dc, tmp = self._dc, self._tmp
        # δcₜ += δhₜ ⊙ oₜ ⊙ (1 − tanh²(cₜ))
        np.multiply(tanh_c, tanh_c, out=tmp)
        np.subtract(1.0, tmp, out=tmp)
        tmp *= o
        tmp *= dh
        dc += tmp
        # δaₜᵒ = δhₜ ⊙ tanh(cₜ) ⊙ oₜ(1 − oₜ)
        np.multiply(dh, tanh_c, out=da_o)
        da_o *= o
        np.subtract(1.0, o, out=tmp)
        da_o *= tmp
        # δaₜⁱ = δcₜ ⊙ gₜ ⊙ iₜ(1 − iₜ)
        np.multiply(dc, g, out=da_i)
        da_i *= i
        np.subtract(1.0, i, out=tmp)
        da_i *= tmp
        # δaₜᵍ = δcₜ ⊙ iₜ ⊙ (1 − gₜ²)
        np.multiply(dc, i, out=da_g)
        np.multiply(g, g, out=tmp)
        np.subtract(1.0, tmp, out=tmp)
        da_g *= tmp
        # δaₜᶠ = δcₜ ⊙ cₜ₋₁ ⊙ fₜ(1 − fₜ)   (c₀ = 0: nothing to forget at the first step)
        if t:
            np.multiply(dc, self._saved["c"][:, t - 1], out=da_f)
            da_f *= f
            np.subtract(1.0, f, out=tmp)
            da_f *= tmp
        else:
            da_f.fill(0.0)
        # δcₜ₋₁ = δcₜ ⊙ fₜ
        dc *= f
        return da, None
