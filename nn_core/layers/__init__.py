"""Layers: each a forward pass, a backward pass and its parameters (see :mod:`.base`).

:class:`Dense`, :class:`Conv2D`, :class:`MaxPool2D`, :class:`Flatten`, :class:`Dropout` and
:class:`ActivationLayer`; the recurrent :class:`SimpleRNN`, :class:`LSTM` and :class:`GRU` with
:class:`SequenceView` (rows read as steps); :mod:`.specs` turns them into JSON specs and back.
"""

from nn_core.layers.activation import ActivationLayer
from nn_core.layers.base import Layer
from nn_core.layers.conv import Conv2D
from nn_core.layers.dense import Dense
from nn_core.layers.dropout import Dropout
from nn_core.layers.pooling import MaxPool2D
from nn_core.layers.recurrent import GRU, LSTM, Recurrent, RecurrentTrace, SimpleRNN
from nn_core.layers.sequence import SequenceView
from nn_core.layers.shape import Flatten
from nn_core.layers.specs import (
    LAYER_TYPES,
    PARAMETER_TYPES,
    PRESETS,
    RECURRENT_TYPES,
    describe_architecture,
    layer_from_spec,
    mlp_specs,
    parse_layers,
    short_form,
)

__all__ = [
    "GRU",
    "LAYER_TYPES",
    "LSTM",
    "PARAMETER_TYPES",
    "PRESETS",
    "RECURRENT_TYPES",
    "ActivationLayer",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "Layer",
    "MaxPool2D",
    "Recurrent",
    "RecurrentTrace",
    "SequenceView",
    "SimpleRNN",
    "describe_architecture",
    "layer_from_spec",
    "mlp_specs",
    "parse_layers",
    "short_form",
]
