"""The GRU (Cho et al., 2014), in PyTorch's convention (the reset gate applied after U).

Forward
-------
No separate cell: the hidden state hₜ itself is updated through two gates. With aₜ = xₜW + b
cut into column blocks of H in PyTorch's order (r, z, n), and hₜ₋₁U cut the same way:

    rₜ = σ(aₜʳ + hₜ₋₁Uʳ)                       reset gate
    zₜ = σ(aₜᶻ + hₜ₋₁Uᶻ)                       update gate
    nₜ = tanh(aₜⁿ + rₜ ⊙ (hₜ₋₁Uⁿ + bₕₙ))       the candidate state
    hₜ = (1 − zₜ) ⊙ nₜ + zₜ ⊙ hₜ₋₁

The reset gate multiplies hₜ₋₁Uⁿ + bₕₙ, the *product* (PyTorch, cuDNN, Keras' reset_after),
not hₜ₋₁ before the product (the original paper): all three gates' recurrent products are then
one GEMM, hₜ₋₁U, per step. It also needs a recurrent bias bₕₙ of its own (rₜ scales it), so the
bias holds 4 blocks of H: [bʳ, bᶻ, bⁿ, bₕₙ] (PyTorch's two bias vectors with the redundant
sums bᵢᵣ + bₕᵣ, bᵢᶻ + bₕᶻ merged). zₜ near 1 keeps the old state: δhₜ₋₁ gets δhₜ ⊙ zₜ directly,
with no matrix in the way, the GRU's counterpart of the LSTM's cell path.

Backward (through time)
-----------------------
With δhₜ the total error on hₜ, ĥₜ = hₜ₋₁Uⁿ + bₕₙ, σ′ = σ(1 − σ) and tanh′ = 1 − tanh²:

    δaₜⁿ = δhₜ ⊙ (1 − zₜ) ⊙ (1 − nₜ²)
    δaₜᶻ = δhₜ ⊙ (hₜ₋₁ − nₜ) ⊙ zₜ(1 − zₜ)
    δaₜʳ = δaₜⁿ ⊙ ĥₜ ⊙ rₜ(1 − rₜ)
    δĥₜ  = δaₜⁿ ⊙ rₜ                            (∂C/∂bₕₙ = Σ δĥₜ)
    δhₜ₋₁ = δhₜ ⊙ zₜ + [δaₜʳ, δaₜᶻ, δĥₜ] Uᵀ (+ the error from above for step t − 1)

[δaₜʳ, δaₜᶻ, δaₜⁿ] feeds ∂C/∂W and ∂C/∂b (input side), [δaₜʳ, δaₜᶻ, δĥₜ] feeds ∂C/∂U.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn_core.arrays import Array
from nn_core.layers.recurrent.base import Recurrent, sigmoid_


class GRU(Recurrent):
    """Gated recurrent unit: gates r, z, n (PyTorch's order and convention).

    Args:
        units: H.
        return_sequences: Output every state (n, T, H) instead of the last (n, H).
    """

    kind = "gru"
    gates = 3
    gate_names = ("r", "z", "n")

    def _initial_bias(self, dtype: np.dtype[Any]) -> Array:
        return np.zeros(4 * self.units, dtype=dtype)  # [bʳ, bᶻ, bⁿ, bₕₙ]

    def _extra(self) -> tuple[str, ...]:
        return ("hn",)

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
        hn = keep["hn"][:, t]  # ĥₜ = hₜ₋₁Uⁿ + bₕₙ
        if hu is None:
            hn[...] = self.bias[3 * H :]
        else:
            a[:, : 2 * H] += hu[:, : 2 * H]
            np.add(hu[:, 2 * H :], self.bias[3 * H :], out=hn)
        sigmoid_(a[:, : 2 * H])  # r, z
        r, z, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
        np.multiply(r, hn, out=h)  # (h as scratch space)
        n += h
        np.tanh(n, out=n)
        # hₜ = (1 − z) ⊙ n + z ⊙ hₜ₋₁ = n + z ⊙ (hₜ₋₁ − n)
        if h_prev is None:
            np.multiply(z, n, out=h)
            np.subtract(n, h, out=h)
        else:
            np.subtract(h_prev, n, out=h)
            h *= z
            h += n

    def _begin_backward(self, n: int) -> None:
        H = self.units
        self._ds = self._buffer("ds", (n, 3 * H))
        self._direct = self._buffer("direct", (n, H))
        self._tmp = self._buffer("tmp", (n, H))
        self.grads[1][3 * H :].fill(0.0)

    def _step_backward(
        self, t: int, dh: Array, da: Array, h_prev: Array | None
    ) -> tuple[Array, Array | None]:
        H = self.units
        gates = self._saved["a"][:, t]
        r, z, n = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H :]
        hn = self._saved["hn"][:, t]
        da_r, da_z, da_n = da[:, :H], da[:, H : 2 * H], da[:, 2 * H :]
        ds, tmp = self._ds, self._tmp
        # δaₜⁿ = δhₜ ⊙ (1 − zₜ) ⊙ (1 − nₜ²)
        np.subtract(1.0, z, out=da_n)
        da_n *= dh
        np.multiply(n, n, out=tmp)
        np.subtract(1.0, tmp, out=tmp)
        da_n *= tmp
        # δaₜᶻ = δhₜ ⊙ (hₜ₋₁ − nₜ) ⊙ zₜ(1 − zₜ)
        if h_prev is None:
            np.negative(n, out=da_z)
        else:
            np.subtract(h_prev, n, out=da_z)
        da_z *= dh
        da_z *= z
        np.subtract(1.0, z, out=tmp)
        da_z *= tmp
        # δaₜʳ = δaₜⁿ ⊙ ĥₜ ⊙ rₜ(1 − rₜ)
        np.multiply(da_n, hn, out=da_r)
        da_r *= r
        np.subtract(1.0, r, out=tmp)
        da_r *= tmp
        # The recurrent side: [δaʳ, δaᶻ, δĥ = δaⁿ ⊙ r]; δĥ is also bₕₙ's gradient.
        ds[:, : 2 * H] = da[:, : 2 * H]
        np.multiply(da_n, r, out=ds[:, 2 * H :])
        self.grads[1][3 * H :] += ds[:, 2 * H :].sum(axis=0)
        np.multiply(dh, z, out=self._direct)  # δhₜ₋₁'s path around U
        return ds, self._direct
