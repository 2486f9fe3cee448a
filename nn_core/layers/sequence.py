"""The sequence view: one sample read as T steps of F features, e.g. a digit as 28 rows of 28.

A recurrent layer reads its input (n, T, F) one step at a time. MNIST rows (n, 784) become
(n, 28, 28) — step t is pixel row t — by a reshape that moves no number: the result is a *view*
of the same memory (for the C-contiguous rows every data loader stores), so the data are never
copied. Images (height, width, channels) from a convolution are read the same way, one row of
the feature maps per step: (height, width·channels).

Like :class:`~nn_core.layers.shape.Flatten`, the backward pass is the inverse reshape.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nn_core.arrays import Array
from nn_core.layers.base import Layer, Shape


class SequenceView(Layer):
    """Reshape each sample to (steps, features) without copying it.

    Args:
        steps: T. None: the image's height for (height, width, channels) inputs, √D for flat
            inputs of D = T² numbers (28 for MNIST's 784).
    """

    kind = "sequence"

    def __init__(self, steps: int | None = None) -> None:
        super().__init__()
        if steps is not None and steps < 1:
            raise ValueError(f"sequence: steps must be ≥ 1, got {steps}")
        self.steps = steps

    def _build(
        self, input_shape: Shape, rng: np.random.Generator, dtype: np.dtype[Any], init: str
    ) -> Shape:
        size = math.prod(input_shape)
        steps = self.steps
        if steps is None:
            if len(input_shape) == 3:
                steps = input_shape[0]
            elif len(input_shape) == 1 and math.isqrt(size) ** 2 == size:
                steps = math.isqrt(size)
            else:
                raise ValueError(
                    f"cannot read samples of shape {input_shape} as a sequence without "
                    "{'steps': T}"
                )
        if size % steps:
            raise ValueError(f"{size} numbers per sample do not split into {steps} steps")
        return (steps, size // steps)

    def forward(self, x: Array, training: bool = False) -> Array:
        """The same numbers as (n, steps, features): a view for contiguous inputs."""
        return x.reshape((len(x), *self.output_shape))

    def backward(self, delta: Array, need_input_gradient: bool = True) -> Array | None:
        """δ reshaped back to the input's shape."""
        if not need_input_gradient:
            return None
        return delta.reshape((len(delta), *self.input_shape))

    def spec(self) -> dict[str, Any]:
        """``{"type": "sequence"}``, with ``"steps"`` when it was given."""
        if self.steps is None:
            return {"type": "sequence"}
        return {"type": "sequence", "steps": self.steps}
