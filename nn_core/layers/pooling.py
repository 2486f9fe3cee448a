"""Max pooling: each k × k block of a feature map is replaced by its largest value.

With non-overlapping k × k windows (stride k), output (i, j, c) is

    Y[i, j, c] = max_{0 ≤ u, v < k} X[k·i + u, k·j + v, c].

Rows and columns beyond the last whole window are dropped (⌊H/k⌋ × ⌊W/k⌋ outputs).

Gradient routing
----------------
max is linear in the one input that attains it and constant in the others, so

    ∂Y[i, j, c] / ∂X[k·i + u, k·j + v, c] = 1 for the (u, v) of the maximum, 0 otherwise,

and backward *routes* each δ[i, j, c] unchanged to the position the maximum came from; every
other input of the window gets 0, as do the dropped rows and columns. On a tie (in practice 0 = 0
after a ReLU) the first maximum in row-major order takes the whole gradient, which is a valid
subgradient; the pooling layer has no parameters.

Both passes loop over the k² offsets (u, v), each a strided slice of the whole batch, so the work
is vectorised over samples, positions and channels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn_core.arrays import Array
from nn_core.layers.base import Layer, Shape


class MaxPool2D(Layer):
    """Max over non-overlapping ``size`` × ``size`` windows of channels-last feature maps."""

    kind = "maxpool2d"

    def __init__(self, size: int = 2) -> None:
        super().__init__()
        if size < 1:
            raise ValueError(f"maxpool2d: size must be ≥ 1, got {size}")
        self.size = int(size)
        self._x: Array | None = None
        self._y: Array | None = None

    def _build(
        self, input_shape: Shape, rng: np.random.Generator, dtype: np.dtype[Any], init: str
    ) -> Shape:
        if len(input_shape) != 3:
            raise ValueError(
                f"maxpool2d needs feature maps (height, width, channels), got {input_shape}"
            )
        height, width, channels = input_shape
        if height < self.size or width < self.size:
            raise ValueError(f"maxpool2d {self.size} does not fit {height}x{width} maps")
        return (height // self.size, width // self.size, channels)

    def _offsets(self, x: Array) -> list[tuple[slice, slice]]:
        k = self.size
        out_h, out_w, _ = self.output_shape
        return [
            (slice(u, u + k * out_h, k), slice(v, v + k * out_w, k))
            for u in range(k)
            for v in range(k)
        ]

    def forward(self, x: Array, training: bool = False) -> Array:
        """Y = the maximum of every window."""
        offsets = self._offsets(x)
        shape = (len(x), *self.output_shape)
        y = self._buffer("y", shape) if training else np.empty(shape, dtype=x.dtype)
        rows, cols = offsets[0]
        np.copyto(y, x[:, rows, cols, :])
        for rows, cols in offsets[1:]:
            np.maximum(y, x[:, rows, cols, :], out=y)
        if training:
            self._x, self._y = x, y
        return y

    def backward(self, delta: Array, need_input_gradient: bool = True) -> Array | None:
        """Route each δ to its window's (first) maximum; 0 everywhere else."""
        if not need_input_gradient:
            return None
        x, y = self._x, self._y
        assert x is not None, "backward() before forward(training=True)"
        assert y is not None
        dx = self._buffer("dx", x.shape)
        dx.fill(0.0)
        shape = y.shape
        taken = np.zeros(shape, dtype=bool)
        is_max = np.empty(shape, dtype=bool)
        for rows, cols in self._offsets(x):
            np.equal(x[:, rows, cols, :], y, out=is_max)
            is_max &= ~taken
            taken |= is_max
            np.multiply(delta, is_max, out=dx[:, rows, cols, :])
        return dx

    def spec(self) -> dict[str, Any]:
        """``{"type": "maxpool2d", "size": k}``."""
        return {"type": "maxpool2d", "size": self.size}
