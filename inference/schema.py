"""OpenAPI helpers: request/response examples and the documented error responses of endpoints."""

from __future__ import annotations

import base64
import io
from collections import defaultdict
from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from PIL import Image

from inference.errors import HTTP_STATUS_CODES, error_body
from inference.serializers import ErrorResponseSerializer


def _example_digit() -> list[float]:
    """A hand-made 28x28 "1": a vertical stroke, as 784 numbers (short enough for the docs)."""
    pixels = [0.0] * 784
    for row in range(5, 23):
        for column in (13, 14):
            pixels[row * 28 + column] = 1.0
        pixels[row * 28 + 15] = 0.5
    return pixels


EXAMPLE_PIXELS = _example_digit()


def _example_image_data_url() -> str:
    """The example digit as a real 28x28 PNG (dark on light) in a `data:` URL, ~200 characters.

    Swagger UI's try-it-out sends the example as it is, so it must decode and predict.
    """
    ink = bytes(round(255 * (1.0 - value)) for value in EXAMPLE_PIXELS)
    buffer = io.BytesIO()
    Image.frombytes("L", (28, 28), ink).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


EXAMPLE_IMAGE_DATA_URL = _example_image_data_url()
EXAMPLE_PROBABILITIES = [0.001, 0.981, 0.003, 0.002, 0.001, 0.001, 0.002, 0.004, 0.004, 0.001]
EXAMPLE_MODEL = "mnist-784-100-10-relu"
EXAMPLE_PREDICTION = {
    "predicted_digit": 1,
    "confidence": 0.981,
    "probabilities": EXAMPLE_PROBABILITIES,
}
EXAMPLE_HUB = {
    "store": "hub",
    "repo": "your-name/hippo-mnist",
    "revision": "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b",
    "filename": f"{EXAMPLE_MODEL}.safetensors",
    "url": "https://huggingface.co/your-name/hippo-mnist",
}
EXAMPLE_SUMMARY: dict[str, Any] = {
    "name": EXAMPLE_MODEL,
    "display_name": "784-100-10 ReLU",
    "description": "One hidden layer of 100 ReLU neurons, softmax output.",
    "architecture": "784-100-10",
    "sizes": [784, 100, 10],
    "activation": "relu",
    "output": "softmax",
    "accuracy": 97.8,
    "is_default": True,
    "status": "available",
    "created_at": "2026-11-25T08:00:00+00:00",
    "hub": EXAMPLE_HUB,
}

_ERROR_EXAMPLES: dict[str, tuple[str, dict[str, list[str]]]] = {
    "invalid_input": (
        "Invalid input. pixels: expected 784 numbers, got 783",
        {"pixels": ["expected 784 numbers, got 783"]},
    ),
    "malformed_json": (
        "The request body is not valid JSON: Expecting value: line 1 column 12 (char 11)",
        {},
    ),
    "malformed_multipart": (
        "The multipart/form-data body could not be parsed: Invalid boundary in multipart: None",
        {},
    ),
    "model_not_found": ("No model named 'nope'.", {"model": ["No model named 'nope'."]}),
    "no_default_model": ("No default model is set; choose one in the admin.", {}),
    "model_unavailable": (
        "Model 'old' is disabled.",
        {"model": ["Model 'old' is disabled."]},
    ),
    "payload_too_large": ("The request body is larger than 8388608 bytes.", {}),
    "unsupported_media_type": ('Unsupported media type "text/plain" in request.', {}),
    "mnist_unavailable": (
        "MNIST is not available: no MNIST files in HIPPO_MNIST_DIR or the cache",
        {},
    ),
    "throttled": ("Request was throttled. Expected available in 1 second.", {}),
    "not_found": ("Not found.", {}),
    "method_not_allowed": ('Method "GET" not allowed.', {}),
    "not_acceptable": ("Could not satisfy the request Accept header.", {}),
}

_STATUS_DESCRIPTIONS = {
    400: "Invalid input, or a body that cannot be parsed",
    404: "Not found",
    405: "Method not allowed",
    406: "Only application/json (optionally with indent=N) can be produced",
    409: "The model is disabled, unavailable or broken",
    413: "Request body, batch or image too large",
    415: "Unsupported content type",
    429: "Throttled",
    503: "MNIST is not available",
}

COMMON_ERRORS = ("method_not_allowed", "not_acceptable", "throttled")
MODEL_ERRORS = ("model_not_found", "no_default_model", "model_unavailable")
BODY_ERRORS = ("invalid_input", "malformed_json", "payload_too_large", "unsupported_media_type")


def error_responses(*codes: str) -> dict[int, OpenApiResponse]:
    """Documented error responses for the given error codes (plus 405 and 429), with examples."""
    by_status: dict[int, list[str]] = defaultdict(list)
    for code in (*codes, *COMMON_ERRORS):
        if code not in by_status[HTTP_STATUS_CODES[code]]:
            by_status[HTTP_STATUS_CODES[code]].append(code)
    responses: dict[int, OpenApiResponse] = {}
    for status_code, status_codes in sorted(by_status.items()):
        examples = []
        for code in status_codes:
            message, fields = _ERROR_EXAMPLES[code]
            examples.append(
                OpenApiExample(
                    code,
                    value=error_body(code, message, fields),
                    response_only=True,
                    status_codes=[status_code],
                )
            )
        responses[status_code] = OpenApiResponse(
            response=ErrorResponseSerializer,
            description=f"{_STATUS_DESCRIPTIONS[status_code]}: " + ", ".join(status_codes),
            examples=examples,
        )
    return responses


def example(
    name: str, value: Any, *, request: bool = False, status_code: int = 200
) -> OpenApiExample:
    """A request (`request=True`) or response example."""
    if request:
        return OpenApiExample(name, value=value, request_only=True)
    return OpenApiExample(name, value=value, response_only=True, status_codes=[status_code])


STRICT_REQUEST_COMPONENTS = ("PredictRequest", "PixelsRequest", "ImageJSONRequest")
"""JSON request bodies whose unknown fields are refused (`StrictRequestSerializer`)."""


def forbid_unknown_fields(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: say `additionalProperties: false` where it holds."""
    schemas = result.get("components", {}).get("schemas", {})
    for name in STRICT_REQUEST_COMPONENTS:
        if name in schemas:
            schemas[name]["additionalProperties"] = False
    return result


def state_request_constraints(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular post-processing hook: the request constraints serializers cannot express.

    `POST /predict` takes exactly one of `pixels` and `batch` (both or neither is a 400), and a
    batch holds at most HIPPO_PREDICT_BATCH_LIMIT images (a 413 beyond): both are stated in the
    JSON Schema itself, so clients, Swagger UI and schema-driven fuzzers (schemathesis) know them.
    """
    schemas = result.get("components", {}).get("schemas", {})
    predict = schemas.get("PredictRequest")
    if predict is not None:
        predict["oneOf"] = [{"required": ["pixels"]}, {"required": ["batch"]}]
        predict["properties"]["batch"]["maxItems"] = int(settings.HIPPO_PREDICT_BATCH_LIMIT)
    # No field of the body is required on its own, so drf-spectacular leaves the body optional;
    # without one the answer is a 400 like any body lacking both fields.
    operation = result.get("paths", {}).get("/predict", {}).get("post")
    if operation is not None and "requestBody" in operation:
        operation["requestBody"]["required"] = True
    return result
