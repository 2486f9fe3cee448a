"""What the API adds for recurrent layers (SimpleRNN, LSTM, GRU): steps, gates, matrices per gate.

Two hooks, called by `inference.services` only for networks that have recurrent layers, so the
answers for MLPs and CNNs stay exactly what they were:

- `add_recurrent_activations`: each recurrent layer's detail in `POST /activations` gains a
  `recurrent` object (its hidden state at every step, steps × units, its gates and the LSTM's
  cell, with their shape), and the answer gains `step_predictions` (the prediction after each row:
  the layers after the LAST recurrent layer applied to its state so far; see
  `nn_core.sequence_inspection`).
- `recurrent_layer_weights`: `GET /models/{name}/weights` for a recurrent layer, with the stored
  matrix as one row per gate unit and the input weights W, recurrent weights U and biases b cut
  per gate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from api.errors import invalid_input
from nn_core.layers import Recurrent
from nn_core.sequence_inspection import has_recurrent_layer, inspect_recurrent
from nn_core.sequential import Sequential

SIMPLE_RNN_BLOCK = "h"
"""The name of the simple RNN's one block of columns (it has no gates): its pre-activation of hₜ."""

GRU_RECURRENT_BIAS = "hn"
"""The GRU's fourth bias block, bₕₙ, inside the reset gate: nₜ = tanh(aₜⁿ + rₜ ⊙ (hₜ₋₁Uⁿ + bₕₙ))."""


def _matrix(values: npt.ArrayLike) -> list[list[float]]:
    rows: list[list[float]] = np.asarray(values, dtype=np.float64).tolist()
    return rows


def settled_step(digits: list[int]) -> int:
    """The first step from which the predicted digit stays the final one (0-based)."""
    final = digits[-1]
    step = len(digits) - 1
    while step > 0 and digits[step - 1] == final:
        step -= 1
    return step


def add_recurrent_activations(
    network: Sequential,
    pixels: npt.NDArray[np.float32],
    details: list[dict[str, Any]],
    require_finite: Callable[[npt.ArrayLike, str], None],
) -> dict[str, Any]:
    """Add `recurrent` to the details of recurrent layers; return the answer's extra fields.

    Args:
        network: The model's network.
        pixels: The 784 pixels of the image.
        details: The answer's `layer_details` (changed in place).
        require_finite: `(values, what) -> None`, raising the API's model error for NaN or inf.

    Returns:
        `{}` for a network without recurrent layers (its answer is unchanged), else
        `{"step_predictions": {...} or None}`.
    """
    layers = network.layers
    if not has_recurrent_layer(layers):
        return {}
    report = inspect_recurrent(layers, network.output, np.asarray(pixels, dtype=network.dtype))
    for detail in details:
        trace = report.traces.get(detail["weights_layer"])
        if trace is None:
            continue
        what = f"the states of layer {detail['index']}"
        require_finite(trace.hidden, what)
        for gate in trace.gates.values():
            require_finite(gate, what)
        steps, units = (int(n) for n in trace.hidden.shape)
        detail["recurrent"] = {
            "steps": steps,
            "units": units,
            "shape": [steps, units],
            "hidden": _matrix(trace.hidden),
            "gates": {name: _matrix(values) for name, values in trace.gates.items()},
            "cell": None if trace.cell is None else _matrix(trace.cell),
        }
    if report.steps is None:
        return {"step_predictions": None}
    probabilities = np.asarray(report.steps.probabilities, dtype=np.float64)
    require_finite(probabilities, "the step predictions")
    digits = [int(d) for d in probabilities.argmax(axis=1)]
    layer = next(d["index"] for d in details if d["weights_layer"] == report.step_layer)
    return {
        "step_predictions": {
            "layer": int(layer),
            "shape": [int(n) for n in probabilities.shape],
            "predicted_digits": digits,
            "confidences": probabilities[np.arange(len(digits)), digits].tolist(),
            "probabilities": _matrix(probabilities),
            "settled_step": settled_step(digits),
        }
    }


def block_names(layer: Recurrent) -> tuple[str, ...]:
    """The names of the layer's column blocks, in order: its gates, or "h" for the simple RNN."""
    return layer.gate_names or (SIMPLE_RNN_BLOCK,)


def recurrent_layer_weights(
    model: str, layer: int, found: Recurrent, neuron: int | None
) -> dict[str, Any]:
    """`GET /models/{name}/weights` for a recurrent layer.

    The stored weight is (F + H) × G·H (W over U, gates side by side); the answer's `weights`
    is its transpose, one row per gate unit (`shape` [G·H, F + H]: that unit's F input weights,
    then its H recurrent weights), like a dense layer's one row per neuron; `biases` has G·H
    numbers (the GRU: 4H, its bₕₙ last). `recurrent` cuts them per gate. With `neuron` = k
    (0 … G·H − 1), row k: gate k // H, unit k % H.

    Raises:
        ApiError: `invalid_input` for a neuron the layer does not have.
    """
    names = block_names(found)
    features, units = found.features, found.units
    weight = np.asarray(found.weight, dtype=np.float64)
    bias = np.asarray(found.bias, dtype=np.float64)
    rows = weight.T  # one row per gate unit
    common = {"model": model, "layer": layer, "type": found.kind}
    if neuron is not None:
        if neuron >= rows.shape[0]:
            raise invalid_input(
                {
                    "neuron": [
                        f"layer {layer} has gate units 0..{rows.shape[0] - 1} "
                        f"({len(names)} gates × {units} units); got {neuron}"
                    ]
                }
            )
        return {
            **common,
            "neuron": neuron,
            "weights": rows[neuron].tolist(),
            "bias": float(bias[neuron]),
            "image_shape": None,
            "gate": names[neuron // units],
            "unit": neuron % units,
        }

    def blocks(matrix: npt.NDArray[np.float64]) -> dict[str, list[list[float]]]:
        return {
            name: _matrix(matrix[:, k * units : (k + 1) * units]) for k, name in enumerate(names)
        }

    biases = {name: bias[k * units : (k + 1) * units].tolist() for k, name in enumerate(names)}
    if len(bias) > len(names) * units:  # the GRU's recurrent candidate bias
        biases[GRU_RECURRENT_BIAS] = bias[len(names) * units :].tolist()
    return {
        **common,
        "shape": [int(n) for n in rows.shape],
        "weights": _matrix(rows),
        "biases": bias.tolist(),
        "image_shape": None,
        "recurrent": {
            "features": features,
            "units": units,
            "gates": list(names),
            "input_weight_shape": [features, units],
            "recurrent_weight_shape": [units, units],
            "input_weights": blocks(weight[:features]),
            "recurrent_weights": blocks(weight[features:]),
            "biases": biases,
        },
    }
