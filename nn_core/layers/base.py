"""What every layer is: a function of its input with parameters, and its backward pass.

A network is a chain of layers, x = a⁰ → a¹ → … → aᴷ, each aᵏ = fᵏ(aᵏ⁻¹; θᵏ). Backpropagation
needs from each layer only two things besides its forward pass: given δᵏ = ∂C/∂aᵏ (the error
arriving from above), the gradient of the cost with respect to the layer's own parameters θᵏ, and
the error to pass down, δᵏ⁻¹ = ∂C/∂aᵏ⁻¹ = (∂aᵏ/∂aᵏ⁻¹)ᵀ δᵏ (the chain rule). Nielsen's BP1 to BP4
are this recipe written out for a dense layer followed by its activation (see
:mod:`nn_core.network`); every layer here implements the same two steps.

Batches: every array holds one sample per leading index (n, …). Images are stored
channels-last, (n, height, width, channels), so that the convolution's matrix products need no
transposes; the shapes a layer *reports* (``display_shape``) are channels-first, the usual way
to draw feature maps.

Buffers: in training mode a layer writes its outputs into arrays it keeps per batch shape and
reuses for every mini-batch (no allocation per step); in inference mode it allocates fresh
arrays, so results handed to callers are never overwritten later.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nn_core.arrays import Array

Shape = tuple[int, ...]


class Layer:
    """Base class: a layer with (possibly no) parameters.

    Attributes:
        kind: The layer type's name in specs and APIs ("dense", "conv2d", ...).
        params: The parameter arrays (updated in place by the optimizer).
        grads: Arrays shaped like ``params``, filled by :meth:`backward` with ∂C/∂θ.
        decayed: Indices into ``params`` of the arrays that L2 weight decay applies to (weights,
            not biases).
        input_shape: The shape of one sample's input (without the batch axis), set by
            :meth:`build`.
        output_shape: The shape of one sample's output.
    """

    kind: ClassVar[str] = "layer"

    def __init__(self) -> None:
        self.params: list[Array] = []
        self.grads: list[Array] = []
        self.decayed: tuple[int, ...] = ()
        self.input_shape: Shape = ()
        self.output_shape: Shape = ()
        self.dtype: np.dtype[Any] = np.dtype(np.float32)
        self._buffers: dict[tuple[str, Shape], Array] = {}

    def build(
        self, input_shape: Shape, rng: np.random.Generator, dtype: np.dtype[Any], init: str
    ) -> Shape:
        """Fix the input shape, draw the initial parameters; return the output shape.

        Args:
            input_shape: One sample's input shape (channels-last for images).
            rng: The network's generator (parameters are drawn from it, in layer order).
            dtype: The parameters' dtype.
            init: The initialization rule for the weights ("relu", "sigmoid", ..., "output"):
                the activation that follows this layer.
        """
        self.input_shape = tuple(input_shape)
        self.dtype = np.dtype(dtype)
        self.output_shape = self._build(self.input_shape, rng, self.dtype, init)
        self.grads = [np.zeros_like(p) for p in self.params]
        return self.output_shape

    def _build(
        self, input_shape: Shape, rng: np.random.Generator, dtype: np.dtype[Any], init: str
    ) -> Shape:
        return input_shape

    def set_parameters(self, *arrays: Array) -> None:
        """Replace the parameters (used as given: the caller has checked shapes and dtype)."""
        raise ValueError(f"{self.kind} layers have no parameters")

    def forward(self, x: Array, training: bool = False) -> Array:
        """Return the layer's output for the batch ``x`` (keeping what backward needs)."""
        raise NotImplementedError

    def backward(self, delta: Array, need_input_gradient: bool = True) -> Array | None:
        """Given δ = ∂C/∂(output), fill :attr:`grads`; return ∂C/∂(input) (None if not needed).

        Call only after a ``forward(..., training=True)`` on the same batch.
        """
        raise NotImplementedError

    def spec(self) -> dict[str, Any]:
        """The layer as a JSON-ready spec (see :mod:`nn_core.layers.specs`)."""
        return {"type": self.kind}

    @property
    def display_shape(self) -> Shape:
        """The output shape channels-first ([channels, height, width] for feature maps)."""
        shape = self.output_shape
        if len(shape) == 3:
            return (shape[2], shape[0], shape[1])
        return shape

    def set_rng(self, rng: np.random.Generator) -> None:
        """Give the layer the network's generator (only layers that draw at run time use it)."""

    def _buffer(self, name: str, shape: Shape) -> Array:
        """A reusable array of ``shape`` (contents undefined), one per (name, shape)."""
        key = (name, shape)
        buffer = self._buffers.get(key)
        if buffer is None:
            buffer = self._buffers[key] = np.empty(shape, dtype=self.dtype)
        return buffer

    def clear_buffers(self) -> None:
        """Drop the training buffers (and the cached input) to free their memory."""
        self._buffers = {}


def to_display(values: Array) -> Array:
    """One sample's output, channels-last (h, w, c), as channels-first (c, h, w)."""
    if values.ndim == 3:
        return np.ascontiguousarray(values.transpose(2, 0, 1))
    return values
