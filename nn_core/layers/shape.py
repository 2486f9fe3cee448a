"""Flatten: (n, height, width, channels) → (n, height·width·channels), and back for δ.

Flattening moves no number, it only re-indexes them, so the backward pass is the inverse
reshape. The order is row-major over (height, width, channels): the dense layer after it has one
weight per (h, w, c) position, in that order.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nn_core.arrays import Array
from nn_core.layers.base import Layer, Shape


class Flatten(Layer):
    """Reshape each sample to a vector."""

    kind = "flatten"

    def _build(
        self, input_shape: Shape, rng: np.random.Generator, dtype: np.dtype[Any], init: str
    ) -> Shape:
        return (math.prod(input_shape),)

    def forward(self, x: Array, training: bool = False) -> Array:
        """The same numbers, one row per sample."""
        return x.reshape(len(x), -1)

    def backward(self, delta: Array, need_input_gradient: bool = True) -> Array | None:
        """δ reshaped back to the input's shape."""
        if not need_input_gradient:
            return None
        return delta.reshape((len(delta), *self.input_shape))
