"""What the inference API does, as plain functions (the views only adapt HTTP to these).

Each request resolves its model from the database (one indexed query, its row reused by each
process for at most half a second, so a default chosen in the admin is served by every worker
within a second; see `inference.resolver`) and takes the network from the per-process LRU cache
(so no request pays a load after warm-up). The model listings are reused the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from django.db import DEFAULT_DB_ALIAS, connection, connections

from api.errors import invalid_input, to_api_error
from api.values import pixels_json
from inference.errors import model_output_invalid
from inference.images import decode_image
from inference.recurrent import add_recurrent_activations, recurrent_layer_weights
from inference.resolver import network_for, resolve_network
from inference.row_cache import RowCache
from mnist_samples.services import mnist_status
from nn_core.constants import IMAGE_SIDE, INPUT_SIZE
from nn_core.layers import Recurrent
from nn_core.preprocessing import normalize_digit
from registry import services as registry
from registry.downloads import hub_state
from registry.errors import ModelBroken, ModelNotFound, ModelUnavailable, NoDefaultModel
from registry.integrity import non_finite_reason

if TYPE_CHECKING:
    from registry.models import RegisteredModel

IMAGE_SHAPE = [IMAGE_SIDE, IMAGE_SIDE]
"""How to draw a row of a first dense layer's weights (`GET /models/{name}/weights`)."""


# --- models and networks ------------------------------------------------------------------------


def resolve(name: str | None) -> RegisteredModel:
    """The registered model called `name`, or the default when `name` is None.

    Raises:
        ModelNotFound, NoDefaultModel, ModelUnavailable, ModelBroken: mapped to 404/404/409/409.
    """
    return registry.resolve_model(name or None)


def warm_up() -> str | None:
    """Load the default model into this process's cache; return its name (None: no default)."""
    try:
        entry = registry.get_default_model()
    except (ModelBroken, ModelNotFound, ModelUnavailable, NoDefaultModel):
        return None
    network_for(entry)
    return entry.name


# --- predictions --------------------------------------------------------------------------------


def _require_finite(model: str, values: npt.ArrayLike, what: str) -> None:
    """Refuse to answer NaN or infinity: a model error (409), never a 500 from the renderer."""
    reason = non_finite_reason(values, what)
    if reason:
        raise model_output_invalid(model, reason)


def _prediction(probabilities: npt.NDArray[np.floating[Any]]) -> dict[str, Any]:
    values: list[float] = probabilities.astype(np.float64).tolist()
    digit = int(np.argmax(probabilities))
    return {"predicted_digit": digit, "confidence": values[digit], "probabilities": values}


def predict(pixels: npt.NDArray[np.float32], model: str | None = None) -> dict[str, Any]:
    """Predict one image of 784 pixels in 0..1 (already checked by `inference.pixels`)."""
    name, network = resolve_network(model or None)
    result = network.predict(pixels.reshape(1, -1))
    _require_finite(name, result.probabilities, "the output")
    return {**_prediction(result.probabilities[0]), "model": name}


def predict_batch(batch: npt.NDArray[np.float32], model: str | None = None) -> dict[str, Any]:
    """Predict an `(n, 784)` batch in one forward pass."""
    name, network = resolve_network(model or None)
    probabilities = network.predict(batch).probabilities.astype(np.float64)
    _require_finite(name, probabilities, "the output")
    digits = probabilities.argmax(axis=1)
    confidences = probabilities[np.arange(len(digits)), digits]
    return {
        "predictions": [
            {"predicted_digit": d, "confidence": c, "probabilities": p}
            for d, c, p in zip(
                digits.tolist(), confidences.tolist(), probabilities.tolist(), strict=True
            )
        ],
        "model": name,
    }


def image_to_pixels(data: bytes, client: str | None = None) -> npt.NDArray[np.float32]:
    """Decode an image and normalise it the way MNIST was made: 784 float32 pixels in 0..1.

    `client` (the client's address) bounds the large images decoded at once per client.
    """
    gray = decode_image(data, client=client)
    try:
        pixels = normalize_digit(gray)
    except ValueError as exc:  # a blank image: nothing to recognise
        raise invalid_input({"image": [str(exc)]}) from None
    return np.asarray(pixels, dtype=np.float32).reshape(-1)


def predict_image(
    data: bytes, model: str | None = None, client: str | None = None
) -> dict[str, Any]:
    """Predict the digit drawn in a PNG/JPEG image; also return the 784 pixels the network saw.

    `client` (the client's address) bounds the large images decoded at once per client.
    """
    name, network = resolve_network(model or None)  # an unknown model is reported first
    pixels = image_to_pixels(data, client)
    result = network.predict(pixels.reshape(1, -1))
    _require_finite(name, result.probabilities, "the output")
    return {
        **_prediction(result.probabilities[0]),
        "model": name,
        "pixels": pixels_json(pixels),
    }


def _floats(values: npt.ArrayLike | None) -> list[float] | None:
    if values is None:
        return None
    result: list[float] = np.asarray(values, dtype=np.float64).ravel().tolist()
    return result


def activations(pixels: npt.NDArray[np.float32], model: str | None = None) -> dict[str, Any]:
    """Every layer's values (and pre-activations) for one image, plus the prediction.

    Each layer detail also says its `type`, its `shape` (`[size]`, or `[channels, height, width]`
    for feature maps; `values` stay flat, row-major over it) and `weights_layer`, the `layer` of
    `GET /models/{name}/weights` holding its incoming parameters (null for layers without any).
    """
    name, network = resolve_network(model or None)
    layers = network.activations(pixels)
    for layer in layers:
        _require_finite(name, layer.values, f"layer {layer.index}")
        if layer.pre_activations is not None:
            _require_finite(
                name, layer.pre_activations, f"the weighted inputs of layer {layer.index}"
            )
    details = [
        {
            "index": int(layer.index),
            "size": int(layer.size),
            "activation": layer.activation,
            "values": _floats(layer.values),
            "pre_activations": _floats(layer.pre_activations),
            "type": layer.kind,
            "shape": [int(n) for n in layer.shape],
            "weights_layer": layer.weights_layer,
        }
        for layer in layers
    ]
    # Recurrent layers' steps and gates, and the prediction after each row ({} for other models).
    steps = add_recurrent_activations(
        network, pixels, details, lambda values, what: _require_finite(name, values, what)
    )
    output = np.asarray(layers[-1].values, dtype=np.float64).ravel()
    return {
        **_prediction(output),
        "model": name,
        "layers": [detail["values"] for detail in details],
        "layer_details": details,
        **steps,
    }


def layer_weights(name: str, layer: int, neuron: int | None = None) -> dict[str, Any]:
    """The parameters of the `layer`-th layer with parameters (dense or conv2d), or one unit's.

    Dense: `weights` (out × in) and `biases`; a neuron's incoming weights. Conv2d: one row of
    in_channels·kh·kw weights per output channel (its kernel, row-major over `kernel_shape`) and
    `biases`; with `neuron` = k, output channel k's kernel.

    Raises:
        ApiError: `invalid_input` for a layer or neuron that the model does not have.
    """
    model, network = resolve_network(name)
    layers = network.parameter_layers
    if layer >= len(layers):
        raise invalid_input({"layer": [f"this model has layers 0..{len(layers) - 1}; got {layer}"]})
    found = layers[layer]
    if isinstance(found, Recurrent):  # W, U and b per gate (inference.recurrent)
        return recurrent_layer_weights(model, layer, found, neuron)
    raw, raw_biases = found.params
    biases = np.asarray(raw_biases, dtype=np.float64).ravel()
    weights = np.asarray(raw, dtype=np.float64).reshape(len(biases), -1)
    extra: dict[str, Any]
    if found.kind == "conv2d":
        kernel_shape = [int(n) for n in raw.shape[1:]]
        extra = {"image_shape": kernel_shape[1:], "kernel_shape": kernel_shape}
        unit = "output channels"
    else:
        first_image = layer == 0 and weights.shape[1] == INPUT_SIZE
        extra = {"image_shape": IMAGE_SHAPE if first_image else None}
        unit = "neurons"
    if neuron is None:
        return {
            "model": model,
            "layer": layer,
            "type": found.kind,
            "shape": [int(n) for n in raw.shape],
            "weights": weights.tolist(),
            "biases": biases.tolist(),
            **extra,
        }
    if neuron >= weights.shape[0]:
        raise invalid_input(
            {"neuron": [f"layer {layer} has {unit} 0..{weights.shape[0] - 1}; got {neuron}"]}
        )
    return {
        "model": model,
        "layer": layer,
        "neuron": neuron,
        "type": found.kind,
        "weights": weights[neuron].tolist(),
        "bias": float(biases[neuron]),
        **extra,
    }


# --- models -------------------------------------------------------------------------------------


def _hub_location(entry: RegisteredModel) -> dict[str, Any]:
    return {
        "store": entry.store,
        "repo": entry.repo,
        "revision": entry.revision,
        "filename": entry.filename,
        "url": entry.hub_url or None,
    }


def model_summary(entry: RegisteredModel) -> dict[str, Any]:
    """The `ModelSummary` JSON of a registered model."""
    return {
        "name": entry.name,
        "display_name": entry.display_name or entry.name,
        "description": entry.description,
        "architecture": entry.architecture,
        "sizes": [int(size) for size in entry.sizes],
        "activation": entry.activation,
        "output": entry.output,
        "accuracy": entry.test_accuracy,
        "is_default": entry.is_default,
        "status": entry.status,
        "created_at": entry.created_at.isoformat() if entry.created_at else None,
        "hub": _hub_location(entry),
    }


LISTINGS = RowCache(lambda: connections[DEFAULT_DB_ALIAS])
"""This process's answers of `list_models` and `model_detail`, each reused for at most 0.5 s
(the same promise as the default model's row: a change is served everywhere within a second).
Reading and shaping the rows through the ORM costs ~1 ms per request; the answers are read-only."""


def list_models() -> dict[str, Any]:
    """All enabled models and the default's name."""
    listing: dict[str, Any] = LISTINGS.get(("list",), lambda _connection: _list_models())
    return listing


def _list_models() -> dict[str, Any]:
    entries = list(registry.list_enabled_models())
    default = next((entry.name for entry in entries if entry.is_default), None)
    return {"models": [model_summary(entry) for entry in entries], "default": default}


METRIC_KEYS = (
    "test_accuracy",
    "validation_accuracy",
    "per_class_accuracy",
    "confusion_matrix",
    "test_loss",
)


def model_detail(name: str) -> dict[str, Any]:
    """One enabled model's summary with its metrics, training history and configuration.

    A broken or unavailable model is still described (its `status` says so); only an unknown or
    disabled name is a 404.

    Raises:
        ModelNotFound: No enabled model has that name.
    """
    detail: dict[str, Any] = LISTINGS.get(("detail", name), lambda _connection: _detail(name))
    return detail


def _detail(name: str) -> dict[str, Any]:
    entry = registry.list_enabled_models().filter(name=name).first()
    if entry is None:
        raise ModelNotFound(f"no model named '{name}'")
    metrics = dict(entry.metrics or {})
    if entry.test_accuracy is not None:
        metrics.setdefault("test_accuracy", entry.test_accuracy)
    training = dict(entry.training or {})
    history = training.pop("history", None) or []
    return {
        **model_summary(entry),
        "metrics": {key: metrics.get(key) for key in METRIC_KEYS},
        "history": list(history),
        "training": training,
        "sha256": entry.sha256,
        "size_bytes": entry.size_bytes,
    }


# --- health -------------------------------------------------------------------------------------


def _check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"; the class name is enough
        return {"ok": False, "detail": f"database error ({type(exc).__name__})"}
    return {"ok": True, "detail": "ok"}


def _check_model() -> dict[str, Any]:
    try:
        name, _network = resolve_network(None)  # exactly what a request without `model` does
    except Exception as exc:  # a probe must answer whatever goes wrong; the reason is reported
        error = to_api_error(exc)
        detail = error.message if error is not None else f"cannot load ({type(exc).__name__})"
        return {"ok": False, "detail": detail, "name": None}
    return {"ok": True, "detail": "loaded", "name": name}


def _check_mnist() -> dict[str, Any]:
    status = mnist_status()  # never raises: a missing or corrupt MNIST is a detail, not an error
    return {"ok": bool(status.ok), "detail": str(status.detail)}


def _check_hub() -> dict[str, Any]:
    """The Hub's state for the default model (never makes a request to the Hub)."""
    try:
        entry = registry.get_default_model()
    except NoDefaultModel:
        return {"ok": True, "state": "not_used", "detail": "no default model"}
    state, detail = hub_state(entry)
    return {"ok": state in ("not_used", "cached"), "state": state, "detail": detail}


def readiness() -> dict[str, Any]:
    """Database, default model, Hub and MNIST checks; ready unless the database or model fails."""
    database = _check_database()
    model = (
        _check_model()
        if database["ok"]
        else {"ok": False, "detail": "database unavailable", "name": None}
    )
    hub = (
        _check_hub()
        if database["ok"]
        else {"ok": False, "state": "unknown", "detail": "database unavailable"}
    )
    ready = database["ok"] and model["ok"]
    return {
        "status": "ready" if ready else "not_ready",
        "checks": {"database": database, "model": model, "hub": hub, "mnist": _check_mnist()},
    }
