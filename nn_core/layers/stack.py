"""A chain of layers built to fit together: each layer's input is the output of the one before.

:func:`build_stack` is how :class:`nn_core.sequential.Sequential` builds its layers, and how a
hyperparameter object checks an architecture without building a network: every layer is built
for the shape the layer below gives (drawing its initial parameters from the generator, in
order), and a chain that does not fit is refused with a ValueError naming the layer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nn_core.layers.activation import ActivationLayer
from nn_core.layers.base import Layer, Shape
from nn_core.layers.specs import PARAMETER_TYPES, layer_from_spec


@dataclass(frozen=True)
class LayerStack:
    """Built layers and the shapes they give.

    Attributes:
        layers: The layers, built, in order.
        input_shape: One sample's shape as given: ``(features,)`` or ``(channels, height,
            width)``.
        sample_shape: One sample as the layers hold it (images channels-last).
        sizes: Numbers in one input, then in the output of each layer with parameters.
        first_parameter_index: Index in ``layers`` of the first layer with parameters.
        activation: The first hidden activation's name ("relu" when there is none).
    """

    layers: list[Layer]
    input_shape: Shape
    sample_shape: Shape
    sizes: list[int]
    first_parameter_index: int
    activation: str


def check_input_shape(shape: Sequence[int]) -> Shape:
    """``shape`` as a tuple, if it is ``[features]`` or ``[channels, height, width]``.

    Raises:
        ValueError: Any other length, or a size below 1.
    """
    checked = tuple(int(n) for n in shape)
    if len(checked) not in (1, 3) or any(n < 1 for n in checked):
        raise ValueError(
            f"input_shape must be [features] or [channels, height, width] of positive "
            f"integers, got {list(shape)}"
        )
    return checked


def build_stack(
    layers: Sequence[Mapping[str, Any] | Layer],
    input_shape: Sequence[int],
    rng: np.random.Generator,
    dtype: np.dtype[Any],
) -> LayerStack:
    """Build ``layers`` (specs or unbuilt layers) for samples of ``input_shape``.

    Raises:
        ValueError: An invalid spec, no layer with parameters, a layer that does not fit the one
            below it (the message names the layer), or a chain that does not end in a vector.
    """
    if not layers:
        raise ValueError("a network needs at least one layer")
    built = [layer_from_spec(spec) if isinstance(spec, Mapping) else spec for spec in layers]
    checked_shape = check_input_shape(input_shape)
    sample_shape = (
        (checked_shape[1], checked_shape[2], checked_shape[0])
        if len(checked_shape) == 3
        else checked_shape
    )
    with_parameters = [i for i, layer in enumerate(built) if layer.kind in PARAMETER_TYPES]
    if not with_parameters:
        raise ValueError("a network needs at least one dense or conv2d layer")
    shape = sample_shape
    for index, layer in enumerate(built):
        try:
            shape = layer.build(shape, rng, dtype, _init_rule(built, index))
        except ValueError as exc:
            raise ValueError(f"layer {index} ({layer.kind}): {exc}") from None
        layer.set_rng(rng)
    if len(shape) != 1:
        raise ValueError(
            f"the last layer must give a vector of outputs, it gives {shape} (add a flatten "
            "and a dense layer)"
        )
    return LayerStack(
        layers=built,
        input_shape=checked_shape,
        sample_shape=sample_shape,
        sizes=[math.prod(checked_shape)]
        + [math.prod(built[i].output_shape) for i in with_parameters],
        first_parameter_index=with_parameters[0],
        activation=next(
            (layer.function for layer in built if isinstance(layer, ActivationLayer)), "relu"
        ),
    )


def _init_rule(layers: Sequence[Layer], index: int) -> str:
    """The activation after layer ``index`` (He for ReLU, Glorot otherwise); "output" last."""
    for layer in layers[index + 1 :]:
        if isinstance(layer, ActivationLayer):
            return layer.function
        if layer.kind in PARAMETER_TYPES:
            break
    return "output"
