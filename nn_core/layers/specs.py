"""Layer specs: an architecture as JSON-ready dicts, and the short text form of the CLI.

A spec is a list of dicts, one per layer, in order:

=============  ==============================================================================
type           keys
=============  ==============================================================================
dense          ``units``
conv2d         ``filters``, ``kernel`` [kh, kw], ``stride`` (1), ``padding`` (0 or "same")
maxpool2d      ``size`` (2)
flatten        —
dropout        ``rate``
activation     ``function`` (one of :data:`nn_core.activations.ACTIVATIONS`)
sequence       ``steps`` (optional: √784 = 28 for flat MNIST rows, the height for images)
rnn            ``units``, ``return_sequences`` (false), ``nonlinearity`` ("tanh" or "relu")
lstm           ``units``, ``return_sequences`` (false)
gru            ``units``, ``return_sequences`` (false)
=============  ==============================================================================

The output activation (softmax / sigmoid) is not a layer here: it belongs to the cost (their
pair gives the output error, see :mod:`nn_core.costs`), so the last layer of a spec yields the
logits.

The short form, e.g. ``"conv5x5x32,pool2,conv5x5x64,pool2,dense128,dropout0.5,dense10"``, names
the layers with parameters and the structural ones; :func:`parse_layers` inserts the hidden
activation after every conv and every dense layer but the last, and a flatten before the first
dense layer that follows feature maps. Tokens: ``conv{kh}x{kw}x{filters}`` with optional
``s{stride}`` and ``p{padding}`` / ``same`` suffixes (``conv3x3x16same``, ``conv5x5x32p2s1``),
``pool{k}``, ``dense{units}``, ``dropout{rate}``, ``flatten``, or an activation name.

Recurrent layers: ``rnn{units}`` (tanh) or ``rnn{units}relu``, ``lstm{units}``, ``gru{units}``,
each with an optional ``seq`` suffix to return every state (``lstm64seq,lstm64,dense10`` stacks
two). The parser puts a sequence view (rows (n, 784) read as (n, 28, 28), no copy) before the
first recurrent layer, no activation after a recurrent layer (its nonlinearities are inside it),
and a flatten before a dense layer that follows a ``seq`` layer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from nn_core.activations import ACTIVATIONS
from nn_core.layers.activation import ActivationLayer
from nn_core.layers.base import Layer
from nn_core.layers.conv import Conv2D
from nn_core.layers.dense import Dense
from nn_core.layers.dropout import Dropout
from nn_core.layers.pooling import MaxPool2D
from nn_core.layers.recurrent import GRU, LSTM, NONLINEARITIES, SimpleRNN
from nn_core.layers.sequence import SequenceView
from nn_core.layers.shape import Flatten

RECURRENT_TYPES: tuple[str, ...] = ("rnn", "lstm", "gru")
"""Layer types that carry a state through the steps of a sequence."""

LAYER_TYPES: tuple[str, ...] = (
    "dense",
    "conv2d",
    "maxpool2d",
    "flatten",
    "dropout",
    "activation",
    "sequence",
    *RECURRENT_TYPES,
)
"""The ``type`` values a spec may use."""

PARAMETER_TYPES: tuple[str, ...] = ("dense", "conv2d", *RECURRENT_TYPES)
"""Layer types with parameters (what ``layers.{l}.*`` tensors and the weights API count)."""

_KEYS: dict[str, set[str]] = {
    "dense": {"units"},
    "conv2d": {"filters", "kernel", "stride", "padding"},
    "maxpool2d": {"size"},
    "flatten": set(),
    "dropout": {"rate"},
    "activation": {"function"},
    "sequence": {"steps"},
    "rnn": {"units", "return_sequences", "nonlinearity"},
    "lstm": {"units", "return_sequences"},
    "gru": {"units", "return_sequences"},
}

_CONV = re.compile(r"conv(\d+)x(\d+)x(\d+)(?:s(\d+))?(?:p(\d+)|(same))?")
_RECURRENT = re.compile(r"(rnn|lstm|gru)(\d+)(relu|tanh)?(seq)?")


def _int(spec: Mapping[str, Any], key: str, default: int | None = None) -> int:
    value = spec.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{spec.get('type')}: {key} must be an integer, got {value!r}")
    return value


def layer_from_spec(spec: Mapping[str, Any]) -> Layer:
    """Build one (unbuilt) layer from its spec dict.

    Raises:
        ValueError: Unknown type, unknown or missing keys, or values out of range.
    """
    if not isinstance(spec, Mapping):
        raise ValueError(f"a layer spec must be an object, got {spec!r}")
    kind = spec.get("type")
    if kind not in LAYER_TYPES:
        raise ValueError(f"unknown layer type {kind!r}; expected one of {', '.join(LAYER_TYPES)}")
    unknown = set(spec) - _KEYS[str(kind)] - {"type"}
    if unknown:
        raise ValueError(f"{kind}: unknown keys {', '.join(sorted(unknown))}")
    if kind == "dense":
        return Dense(_int(spec, "units"))
    if kind == "conv2d":
        kernel = spec.get("kernel")
        if isinstance(kernel, int) and not isinstance(kernel, bool):
            kernel = [kernel, kernel]
        if not (
            isinstance(kernel, list | tuple)
            and len(kernel) == 2
            and all(isinstance(k, int) and not isinstance(k, bool) for k in kernel)
        ):
            raise ValueError(f"conv2d: kernel must be [kh, kw], got {kernel!r}")
        padding = spec.get("padding", 0)
        if padding != "same" and (not isinstance(padding, int) or isinstance(padding, bool)):
            raise ValueError(f"conv2d: padding must be an integer or 'same', got {padding!r}")
        return Conv2D(
            _int(spec, "filters"), (kernel[0], kernel[1]), _int(spec, "stride", 1), padding
        )
    if kind == "maxpool2d":
        return MaxPool2D(_int(spec, "size", 2))
    if kind == "flatten":
        return Flatten()
    if kind == "sequence":
        return SequenceView(None if spec.get("steps") is None else _int(spec, "steps"))
    if kind in RECURRENT_TYPES:
        return _recurrent_layer(spec)
    if kind == "dropout":
        rate = spec.get("rate")
        if not isinstance(rate, int | float) or isinstance(rate, bool):
            raise ValueError(f"dropout: rate must be a number, got {rate!r}")
        return Dropout(float(rate))
    function = spec.get("function")
    if not isinstance(function, str):
        raise ValueError(f"activation: function must be a name, got {function!r}")
    return ActivationLayer(function)


def _recurrent_layer(spec: Mapping[str, Any]) -> Layer:
    kind = spec["type"]
    units = _int(spec, "units")
    if units < 1:
        raise ValueError(f"{kind}: units must be ≥ 1, got {units}")
    sequences = spec.get("return_sequences", False)
    if not isinstance(sequences, bool):
        raise ValueError(f"{kind}: return_sequences must be true or false, got {sequences!r}")
    if kind == "lstm":
        return LSTM(units, sequences)
    if kind == "gru":
        return GRU(units, sequences)
    nonlinearity = spec.get("nonlinearity", "tanh")
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(
            f"rnn: nonlinearity must be one of {', '.join(NONLINEARITIES)}, got {nonlinearity!r}"
        )
    return SimpleRNN(units, sequences, nonlinearity)


def _token_spec(token: str) -> dict[str, Any]:
    if match := _RECURRENT.fullmatch(token):
        kind, units, nonlinearity, sequences = match.groups()
        if nonlinearity and kind != "rnn":
            raise ValueError(f"cannot read layer {token!r}: only rnn layers take relu or tanh")
        spec: dict[str, Any] = {
            "type": kind,
            "units": int(units),
            "return_sequences": bool(sequences),
        }
        if kind == "rnn":
            spec["nonlinearity"] = nonlinearity or "tanh"
        return spec
    if match := _CONV.fullmatch(token):
        kh, kw, filters, stride, pad, same = match.groups()
        return {
            "type": "conv2d",
            "filters": int(filters),
            "kernel": [int(kh), int(kw)],
            "stride": int(stride or 1),
            "padding": "same" if same else int(pad or 0),
        }
    if match := re.fullmatch(r"pool(\d+)", token):
        return {"type": "maxpool2d", "size": int(match.group(1))}
    if match := re.fullmatch(r"dense(\d+)", token):
        return {"type": "dense", "units": int(match.group(1))}
    if match := re.fullmatch(r"dropout(\d*\.?\d+)", token):
        return {"type": "dropout", "rate": float(match.group(1))}
    if token == "flatten":  # noqa: S105 (a layer name, not a password)
        return {"type": "flatten"}
    if token in ACTIVATIONS:
        return {"type": "activation", "function": token}
    raise ValueError(
        f"cannot read layer {token!r}: expected conv{{kh}}x{{kw}}x{{filters}}[s{{stride}}]"
        "[p{padding}|same], pool{k}, dense{units}, dropout{rate}, flatten, rnn{units}[relu][seq], "
        "lstm{units}[seq], gru{units}[seq] or an activation"
    )


def parse_layers(text: str, activation: str = "relu") -> list[dict[str, Any]]:
    """Expand the short form into full specs (activations and flatten inserted).

    Raises:
        ValueError: An unreadable token, or no dense layer at the end.
    """
    tokens = [token.strip().lower() for token in text.split(",") if token.strip()]
    if not tokens:
        raise ValueError("the layer list is empty")
    specs = [_token_spec(token) for token in tokens]
    dense_at = [i for i, spec in enumerate(specs) if spec["type"] == "dense"]
    if not dense_at or specs[-1]["type"] != "dense":
        raise ValueError(f"the last layer must be a dense layer (the outputs), got {tokens[-1]!r}")
    expanded: list[dict[str, Any]] = []
    spatial = False  # the samples are feature maps or sequences, not vectors
    sequence = False  # the samples are (steps, features) sequences
    last_state: str | None = None  # a recurrent layer that gives only its last state
    for index, spec in enumerate(specs):
        kind = spec["type"]
        if kind in RECURRENT_TYPES:
            if last_state is not None:
                raise ValueError(
                    f"{last_state!r} gives only its last state: write {last_state}seq to put "
                    f"{tokens[index]!r} on every state"
                )
            if not sequence:
                expanded.append({"type": "sequence"})
            sequence = spatial = bool(spec["return_sequences"])
            last_state = None if sequence else tokens[index]
        elif kind in ("conv2d", "maxpool2d", "dense", "flatten"):
            last_state = None
        if kind in ("conv2d", "maxpool2d"):
            spatial, sequence = True, False
        if kind == "dense" and spatial:
            expanded.append({"type": "flatten"})
            spatial = sequence = False
        if kind == "flatten":
            spatial = sequence = False
        expanded.append(spec)
        follows = specs[index + 1]["type"] if index + 1 < len(specs) else None
        if (
            kind in PARAMETER_TYPES
            and kind not in RECURRENT_TYPES
            and index != len(specs) - 1
            and follows != "activation"
        ):
            expanded.append({"type": "activation", "function": activation})
    return expanded


def short_form(specs: Sequence[Mapping[str, Any]]) -> str:
    """The compact name of an architecture, e.g. ``conv5x5x32-pool2-dense128-dense10``.

    Activations, flatten and sequence views are left out (they are implied), so this is also what
    model names are made from.
    """
    parts: list[str] = []
    for spec in specs:
        kind = spec["type"]
        if kind == "dense":
            parts.append(f"dense{spec['units']}")
        elif kind == "conv2d":
            kh, kw = spec["kernel"]
            part = f"conv{kh}x{kw}x{spec['filters']}"
            if spec.get("stride", 1) != 1:
                part += f"s{spec['stride']}"
            padding = spec.get("padding", 0)
            part += "same" if padding == "same" else (f"p{padding}" if padding else "")
            parts.append(part)
        elif kind == "maxpool2d":
            parts.append(f"pool{spec.get('size', 2)}")
        elif kind == "dropout":
            parts.append(f"dropout{spec['rate']:g}")
        elif kind in RECURRENT_TYPES:
            part = f"{kind}{spec['units']}"
            if kind == "rnn" and spec.get("nonlinearity", "tanh") != "tanh":
                part += spec["nonlinearity"]
            parts.append(part + ("seq" if spec.get("return_sequences") else ""))
    return "-".join(parts)


def mlp_specs(sizes: Sequence[int], activation: str) -> list[dict[str, Any]]:
    """The specs of a fully connected network with layer sizes ``sizes`` (input first)."""
    specs: list[dict[str, Any]] = []
    for index, units in enumerate(sizes[1:], start=1):
        specs.append({"type": "dense", "units": int(units)})
        if index < len(sizes) - 1:
            specs.append({"type": "activation", "function": activation})
    return specs


def describe_architecture(
    sizes: Sequence[int],
    activation: str,
    layers: Sequence[Mapping[str, Any]] = (),
    input_shape: Sequence[int] = (),
) -> str:
    """An architecture in one word, for lists and cards.

    A fully connected network is its sizes, ``784-100-10``; any other network is its input
    shape and its layers' short form, ``1x28x28-conv3x3x16-pool2-dense100-dense10``.
    """
    layer_list = [dict(spec) for spec in layers]
    if not layer_list or (len(input_shape) <= 1 and layer_list == mlp_specs(sizes, activation)):
        return "-".join(str(size) for size in sizes)
    return "x".join(str(n) for n in input_shape) + "-" + short_form(layer_list)


PRESETS: dict[str, str] = {
    "cnn": "conv5x5x32,pool2,conv5x5x64,pool2,dense128,dropout0.5,dense10",
    "cnn-small": "conv3x3x16,pool2,conv5x5x32,pool2,dense100,dropout0.3,dense10",
    "rnn": "rnn128,dense10",
    "lstm": "lstm128,dense10",
    "gru": "gru128,dense10",
}
"""Named architectures for ``train_mnist --arch`` (docs/TRAINING.md has their measured results).

The recurrent ones read a digit as 28 rows of 28 pixels and classify it from the last state."""
