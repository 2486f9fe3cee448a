"""The 2-D convolution layer (strictly: cross-correlation, as in every deep-learning library).

Notation
--------
One sample's input is X with C channels of size H × W (stored channels-last, X[h, w, c]); the
layer has F filters, each a kernel K[f] of shape C × kh × kw, and a bias b[f]. With stride s and
zero padding p (X is first padded to Xᵖ of size (H + 2p) × (W + 2p)), output map f is

    Z[i, j, f] = b[f] + Σ_c Σ_u Σ_v  Xᵖ[s·i + u, s·j + v, c] · K[f, c, u, v]            (forward)

for 0 ≤ i < H′ = ⌊(H + 2p − kh)/s⌋ + 1 and likewise j < W′. Every output position sees the same
kernel (weight sharing), and only a kh × kw window of the input (local connectivity).

im2col: the forward pass as one matrix product
-----------------------------------------------
Unroll every window into a row: the matrix X̂ has one row per (sample, i, j) — n·H′·W′ rows — and
kh·kw·C columns, X̂[(x, i, j), (u, v, c)] = Xᵖ_x[s·i + u, s·j + v, c]. Flatten the kernels the
same way into K̂ of shape F × kh·kw·C. Then the whole batch's convolution is a single GEMM,

    Ẑ = X̂ K̂ᵀ + b          (n·H′·W′ × F, which *is* Z, channels-last, without any reshuffling)

X̂ is the sliding-window view of Xᵖ made contiguous for the GEMM, filled with one strided copy of
the whole batch per kernel offset (u, v).

Backward pass
-------------
Given Δ = ∂C/∂Z (same shape as Z; the 1/m of the mean cost already in it), the chain rule through
the forward equation gives three results.

Bias — each b[f] is added to every position of map f:

    ∂C/∂b[f] = Σ_x Σ_i Σ_j Δ_x[i, j, f]

Kernel — K[f, c, u, v] multiplies Xᵖ[s·i + u, s·j + v, c] at every output position (i, j):

    ∂C/∂K[f, c, u, v] = Σ_x Σ_i Σ_j Δ_x[i, j, f] · Xᵖ_x[s·i + u, s·j + v, c]

i.e. the (cross-)correlation of the input with δ: slide the error map over the input, exactly as
the kernel slid over it in the forward pass. In im2col form it is the GEMM ∂C/∂K̂ = Δ̂ᵀ X̂
(Δ̂ is Δ as an n·H′·W′ × F matrix) — the same shape of product as a dense layer's BP4, Δᵀ A.

Input — Xᵖ[h, w, c] contributes to every output (i, j) whose window covers it, h = s·i + u,
w = s·j + v, so

    ∂C/∂Xᵖ[h, w, c] = Σ_f Σ_u Σ_v Δ[(h − u)/s, (w − v)/s, f] · K[f, c, u, v]

(terms whose indices are not integers in range are 0). For s = 1 that is the *full* convolution
of δ with the kernel flipped in both directions: pad Δ with kh − 1, kw − 1 zeros on each side and
correlate it with K rotated by 180°. The code computes the same sum in im2col form, without
flipping anything: the GEMM D̂ = Δ̂ K̂ gives, for every output position and every kernel offset
(u, v), the error that position sends to the input pixel under that offset, and a loop over the
kh·kw offsets adds these, each a strided slice of the whole batch at once, into ∂C/∂Xᵖ. The
padding rows and columns are then cut off: their "inputs" were constant zeros.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn_core.arrays import Array
from nn_core.initialization import init_std, standard_normal
from nn_core.layers.base import Layer, Shape


class Conv2D(Layer):
    """``filters`` kernels of ``kernel`` = (kh, kw) over channels-last images.

    Args:
        filters: Output channels F.
        kernel: (kh, kw), or one int for a square kernel.
        stride: s ≥ 1, in both directions.
        padding: Zero padding p on every side, or "same" ((k − 1)/2 for odd k, stride 1).
    """

    kind = "conv2d"

    def __init__(
        self,
        filters: int,
        kernel: int | tuple[int, int],
        stride: int = 1,
        padding: int | str = 0,
    ) -> None:
        super().__init__()
        kh, kw = (kernel, kernel) if isinstance(kernel, int) else (int(kernel[0]), int(kernel[1]))
        if filters < 1 or kh < 1 or kw < 1:
            raise ValueError(
                f"conv2d: filters and kernel sizes must be ≥ 1, got {filters}, {kernel}"
            )
        if stride < 1:
            raise ValueError(f"conv2d: stride must be ≥ 1, got {stride}")
        if padding == "same":
            if kh % 2 == 0 or kw % 2 == 0 or kh != kw or stride != 1:
                raise ValueError("conv2d: padding 'same' needs a square odd kernel and stride 1")
            pad = (kh - 1) // 2
        elif isinstance(padding, int) and padding >= 0:
            pad = padding
        else:
            raise ValueError(f"conv2d: padding must be an integer ≥ 0 or 'same', got {padding!r}")
        self.filters, self.kh, self.kw = int(filters), kh, kw
        self.stride, self.padding = int(stride), pad
        self._same = padding == "same"
        self._cols: Array | None = None
        self._x_shape: Shape = ()

    def _build(
        self, input_shape: Shape, rng: np.random.Generator, dtype: np.dtype[Any], init: str
    ) -> Shape:
        if len(input_shape) != 3:
            raise ValueError(
                f"conv2d needs images (height, width, channels), got samples of shape {input_shape}"
            )
        height, width, channels = input_shape
        p, s = self.padding, self.stride
        out_h = (height + 2 * p - self.kh) // s + 1
        out_w = (width + 2 * p - self.kw) // s + 1
        if out_h < 1 or out_w < 1:
            raise ValueError(
                f"conv2d {self.kh}x{self.kw} (padding {p}) does not fit {height}x{width} inputs"
            )
        fan_in = channels * self.kh * self.kw
        fan_out = self.filters * self.kh * self.kw
        kernel = standard_normal(rng, (self.filters, channels, self.kh, self.kw), dtype)
        kernel *= init_std(init, fan_in, fan_out)
        self.weight: Array = kernel
        self.bias: Array = np.zeros(self.filters, dtype=dtype)
        self.params = [self.weight, self.bias]
        self.decayed = (0,)
        return (out_h, out_w, self.filters)

    def set_parameters(self, *arrays: Array) -> None:
        """Replace K (F, C, kh, kw) and b (F,)."""
        weight, bias = arrays
        self.weight, self.bias = weight, bias
        self.params = [weight, bias]
        self.grads = [np.zeros_like(weight), np.zeros_like(bias)]

    @property
    def in_channels(self) -> int:
        """C, the input's channels."""
        return self.input_shape[2]

    def _padded(self, x: Array) -> Array:
        p = self.padding
        if p == 0:
            return x
        n, height, width, channels = x.shape
        padded = np.zeros((n, height + 2 * p, width + 2 * p, channels), dtype=x.dtype)
        padded[:, p : p + height, p : p + width, :] = x
        return padded

    def _unrolled_kernels(self) -> Array:
        """K̂ with columns ordered (u, v, c), like the rows of X̂: shape (F, kh·kw·C)."""
        kernels: Array = np.ascontiguousarray(self.weight.transpose(0, 2, 3, 1))
        return kernels.reshape(self.filters, -1)

    def forward(self, x: Array, training: bool = False) -> Array:
        """Z = X̂ K̂ᵀ + b (im2col and one GEMM), channels-last (n, H′, W′, F)."""
        n = len(x)
        out_h, out_w, filters = self.output_shape
        s, kh, kw = self.stride, self.kh, self.kw
        padded = self._padded(x)
        channels = padded.shape[3]
        # X̂ with its columns ordered (u, v, c): one strided slice of the whole batch per kernel
        # offset, each copied with c innermost and contiguous. (Copying the
        # sliding_window_view(x, (kh, kw)) view instead gathers single floats with kw
        # innermost, about three times slower.)
        cols_shape = (n, out_h, out_w, kh, kw, channels)
        cols = self._buffer("cols", cols_shape) if training else np.empty(cols_shape, x.dtype)
        rows_end, cols_end = (out_h - 1) * s + 1, (out_w - 1) * s + 1
        for u in range(kh):
            for v in range(kw):
                cols[:, :, :, u, v, :] = padded[:, u : u + rows_end : s, v : v + cols_end : s, :]
        rows = n * out_h * out_w
        flat_cols = cols.reshape(rows, -1)
        kernels = self._unrolled_kernels()
        if training:
            z = np.matmul(flat_cols, kernels.T, out=self._buffer("z", (rows, filters)))
            self._cols, self._x_shape = flat_cols, x.shape
        else:
            z = flat_cols @ kernels.T
        z += self.bias
        return z.reshape(n, out_h, out_w, filters)

    def backward(self, delta: Array, need_input_gradient: bool = True) -> Array | None:
        """∂C/∂b, ∂C/∂K into :attr:`grads`; return ∂C/∂X (see the module docstring)."""
        cols = self._cols
        assert cols is not None, "backward() before forward(training=True)"
        filters, kh, kw = self.filters, self.kh, self.kw
        n, height, width, channels = self._x_shape
        d = np.ascontiguousarray(delta).reshape(-1, filters)  # Δ̂: (n·H′·W′, F)
        # ∂C/∂K̂ = Δ̂ᵀ X̂, columns (u, v, c); stored back as K's (F, C, kh, kw).
        grad = np.matmul(d.T, cols, out=self._buffer("grad", (filters, kh * kw * channels)))
        self.grads[0][...] = grad.reshape(filters, kh, kw, channels).transpose(0, 3, 1, 2)
        d.sum(axis=0, out=self.grads[1])
        if not need_input_gradient:
            return None
        out_h, out_w, _ = self.output_shape
        p, s = self.padding, self.stride
        # D̂ = Δ̂ K̂: D̂[(x, i, j), (u, v, c)] = Σ_f Δ[x, i, j, f] K[f, c, u, v], the error that
        # output (i, j) sends back through kernel offset (u, v) to input pixel (s·i + u, s·j + v).
        sent = np.matmul(
            d, self._unrolled_kernels(), out=self._buffer("sent", (len(d), kh * kw * channels))
        )
        sent6 = sent.reshape(n, out_h, out_w, kh, kw, channels)
        dxp = self._buffer("dxp", (n, height + 2 * p, width + 2 * p, channels))
        dxp.fill(0.0)
        rows_end, cols_end = (out_h - 1) * s + 1, (out_w - 1) * s + 1
        for u in range(kh):
            for v in range(kw):
                dxp[:, u : u + rows_end : s, v : v + cols_end : s, :] += sent6[:, :, :, u, v, :]
        if p == 0:
            return dxp
        return dxp[:, p : p + height, p : p + width, :]

    def spec(self) -> dict[str, Any]:
        """``{"type": "conv2d", "filters", "kernel": [kh, kw], "stride", "padding"}``."""
        return {
            "type": "conv2d",
            "filters": self.filters,
            "kernel": [self.kh, self.kw],
            "stride": self.stride,
            "padding": "same" if self._same else self.padding,
        }
