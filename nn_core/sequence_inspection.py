"""Looking inside a recurrent network: every step's state, gates, and the prediction so far.

For one sample, :func:`inspect_recurrent` runs the layers in order and asks each recurrent layer
for its :class:`~nn_core.layers.recurrent.base.RecurrentTrace` (hidden state, gates and cell at
every step). It also computes the *prediction after each step*: the layers after the last
recurrent layer (and the output activation) applied to that layer's state hₜ, for t = 1 … T.

Why this is well defined: a recurrent layer's hₜ depends only on steps 1 … t of its input, and
stacked recurrent layers pass their states on step by step, so the last recurrent layer's hₜ has
seen exactly the first t rows of the digit. At t = T it is the state the network's own forward
pass uses, so the last step's prediction is the network's answer. Only the last recurrent
layer's states feed it (an earlier layer's states are not what the output layers read).

When the last recurrent layer returns every state (``return_sequences``) the layers after it
read all T states at once: there is no "answer so far", and :attr:`RecurrentReport.steps` is
None.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from nn_core.activations import output_forward
from nn_core.arrays import Array
from nn_core.inspection import Prediction, prediction_from_outputs
from nn_core.layers import Layer
from nn_core.layers.recurrent.base import Recurrent, RecurrentTrace


@dataclass(frozen=True)
class RecurrentReport:
    """The recurrent layers of a network, seen for one sample.

    Attributes:
        traces: Each recurrent layer's trace, keyed by its index among the layers with
            parameters (the ``weights_layer`` of the activations, the ``layer`` of the model
            files' ``layers.{l}`` tensors).
        step_layer: The key in ``traces`` of the last recurrent layer (the one whose states the
            step predictions read); None when the network has no recurrent layer.
        steps: The prediction after each step, one row per step (digits (T,),
            probabilities (T, n_out)); None when it is not defined (see the module docs).
    """

    traces: dict[int, RecurrentTrace] = field(default_factory=dict)
    step_layer: int | None = None
    steps: Prediction | None = None


def has_recurrent_layer(layers: Sequence[Layer]) -> bool:
    """Whether any of ``layers`` carries a state through time."""
    return any(isinstance(layer, Recurrent) for layer in layers)


def inspect_recurrent(layers: Sequence[Layer], output: str, row: Array) -> RecurrentReport:
    """Every recurrent layer's trace, and the prediction after each step, for one sample.

    Args:
        layers: The network's built layers, in order.
        output: The output activation's name ("softmax", "sigmoid", ...).
        row: One sample, flat (n_inputs,) or (1, n_inputs).

    Returns:
        An empty report for a network without recurrent layers.
    """
    if not layers:
        return RecurrentReport()
    x = row.reshape((1, *layers[0].input_shape))
    traces: dict[int, RecurrentTrace] = {}
    last: tuple[int, int] | None = None  # (position in layers, parameter index)
    parameter_index = 0
    for position, layer in enumerate(layers):
        if isinstance(layer, Recurrent):
            traces[parameter_index] = layer.trace(x[0])
            last = (position, parameter_index)
        if layer.params:
            parameter_index += 1
        x = layer.forward(x)
    if last is None:
        return RecurrentReport()
    position, key = last
    recurrent = layers[position]
    assert isinstance(recurrent, Recurrent)
    if recurrent.return_sequences:
        return RecurrentReport(traces, key, None)
    # The T states as a batch of T samples through the layers after the last recurrent one.
    states = traces[key].hidden
    for layer in layers[position + 1 :]:
        states = layer.forward(states)
    return RecurrentReport(
        traces, key, prediction_from_outputs(output_forward(output, states), output)
    )
