"""OpenAPI helpers: request/response examples and the documented error responses of endpoints."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from api.errors import DATABASE_UNAVAILABLE, HTTP_STATUS_CODES, error_body
from api.serializers import ErrorResponseSerializer
from nn_core.constants import IMAGE_SIDE, INPUT_SIZE


def _example_digit() -> list[float]:
    """A hand-made 28x28 "1": a vertical stroke, as 784 numbers (short enough for the docs)."""
    pixels = [0.0] * INPUT_SIZE
    for row in range(5, 23):
        for column in (13, 14):
            pixels[row * IMAGE_SIDE + column] = 1.0
        pixels[row * IMAGE_SIDE + 15] = 0.5
    return pixels


EXAMPLE_PIXELS = _example_digit()


_BUSY = (
    "The server is decoding other large images; try again shortly, or send an image of at most "
    "1048576 pixels."
)

_TOO_MANY = (
    "This client already has 1 large image(s) being decoded; send large images one after "
    "another, or images of at most 1048576 pixels."
)

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
    "model_not_found": ("no model named 'nope'", {"model": ["no model named 'nope'"]}),
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
    "database_unavailable": (DATABASE_UNAVAILABLE, {}),
    "busy": (_BUSY, {"image": [_BUSY]}),
    "too_many_images": (_TOO_MANY, {"image": [_TOO_MANY]}),
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
    503: "A dependency is unavailable (MNIST, the database, the Hub) or the server is busy",
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
