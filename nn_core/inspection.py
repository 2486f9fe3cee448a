"""Looking inside a network: its answer for a batch, and what every layer computed for a sample.

:class:`Prediction` is a classifier's answer (digits and a probability distribution per input);
:class:`LayerActivations` is one layer's output for one sample, for the visualizations.
:meth:`nn_core.sequential.Sequential.predict` and ``.activations`` build them with the functions
here, which take the layers and outputs they describe (never the network class).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from nn_core.activations import output_forward
from nn_core.arrays import Array
from nn_core.layers import ActivationLayer, Layer
from nn_core.layers.base import to_display


@dataclass(frozen=True)
class Prediction:
    """The network's answer for a batch of inputs.

    Attributes:
        digits: The predicted class of each input, shape (n,), int64.
        probabilities: The output distribution of each input, shape (n, n_out), float32. For a
            softmax output these are the activations; for a sigmoid output (independent units)
            the activations divided by their sum, so that every row sums to 1.
    """

    digits: NDArray[np.int64]
    probabilities: NDArray[np.float32]


@dataclass(frozen=True)
class LayerActivations:
    """What one layer computed for one input (for visualizations).

    A layer with parameters and the activation after it are reported together, as one layer
    (pre-activations z, activations a = σ(z)), like the neurons of a textbook figure.

    Attributes:
        index: The layer number, 0 for the input layer.
        size: Numbers in the layer's output (the product of ``shape``).
        activation: "input" for layer 0, the activation's name (the output's for the last
            layer), "max" for pooling, "identity" for flatten and dropout.
        values: The activations, flat, row-major over ``shape`` (channels first).
        pre_activations: The weighted inputs z (flat, like ``values``); None for layers that
            have none (input, pooling, flatten, dropout).
        kind: "input", "dense", "conv2d", "maxpool2d", "flatten", "dropout" or "activation".
        shape: ``[size]`` for vectors, [channels, height, width] for feature maps.
        weights_layer: The index among the layers with parameters (the numbering of
            ``parameter_layers`` and of the model files' ``layers.{l}`` tensors) of this
            layer's incoming parameters; None for layers without parameters.
    """

    index: int
    size: int
    activation: str
    values: Array
    pre_activations: Array | None
    kind: str = "dense"
    shape: tuple[int, ...] = field(default=())
    weights_layer: int | None = None


def prediction_from_outputs(out: Array, output: str) -> Prediction:
    """The digits and probabilities of output activations ``out`` (n, n_out)."""
    if output == "sigmoid":
        totals = out.sum(axis=1, keepdims=True)
        uniform = np.full_like(out, 1.0 / out.shape[1])
        out = np.divide(out, totals, out=uniform, where=totals > 0)
    return Prediction(
        digits=out.argmax(axis=1).astype(np.int64),
        probabilities=out.astype(np.float32, copy=False),
    )


def layer_activations(
    layers: Sequence[Layer],
    output: str,
    row: Array,
    input_shape: tuple[int, ...],
    sample_shape: tuple[int, ...],
) -> list[LayerActivations]:
    """Every layer's activations for one sample ``row`` (1, n_inputs), input layer first.

    A layer with parameters is reported together with the activation that follows it (the
    last one with the ``output`` activation); feature maps come channels-first.
    """
    reports = [
        LayerActivations(0, row.shape[1], "input", row[0].copy(), None, "input", input_shape, None)
    ]
    a = row.reshape((1, *sample_shape))
    last = len(layers) - 1
    index = parameter_index = 0
    while index <= last:
        layer = layers[index]
        given = a
        z = layer.forward(a)
        pre: Array | None = None
        weights_layer: int | None = None
        if layer.params:
            pre, weights_layer = z, parameter_index
            parameter_index += 1
            follower = layers[index + 1] if index < last else None
            if isinstance(follower, ActivationLayer):
                a, name = follower.forward(z), follower.function
                index += 1
            elif index == last:
                a, name = output_forward(output, z), output
            else:
                a, name = z, "identity"
        else:
            a = z
            name = {"activation": getattr(layer, "function", ""), "maxpool2d": "max"}.get(
                layer.kind, "identity"
            )
            if isinstance(layer, ActivationLayer):
                pre = given
        reports.append(
            LayerActivations(
                index=len(reports),
                size=int(a[0].size),
                activation=name,
                values=to_display(a[0]).ravel(),
                pre_activations=None if pre is None else to_display(pre[0]).ravel(),
                kind=layer.kind,
                shape=tuple(int(n) for n in layer.display_shape),
                weights_layer=weights_layer,
            )
        )
        index += 1
    return reports
