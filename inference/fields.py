"""The fields of the inference API's request bodies, shared by the serializers and the hot path.

The 784-number arrays go through custom fields that call the vectorised parsers in
`inference.pixels` (never a `ListField(FloatField)`, which would check 784 numbers one Python call
at a time). `MODEL_FIELD` is the one `model` field the views' hot path checks names with
(`inference.request_bodies.model_name`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inference.pixels import parse_batch, parse_pixels
from nn_core.arrays import FloatArray
from nn_core.constants import INPUT_SIZE

MODEL_NAME_MAX_LENGTH = 200

_PIXELS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {"type": "number", "format": "float", "minimum": 0, "maximum": 1},
    "minItems": INPUT_SIZE,
    "maxItems": INPUT_SIZE,
    "description": "784 grayscale pixels of a 28x28 image, row by row: 0 = background, 1 = ink.",
}


@extend_schema_field(_PIXELS_SCHEMA)
class PixelsField(serializers.Field):  # type: ignore[type-arg]
    """784 numbers in 0..1, checked and converted with NumPy in one go."""

    def to_internal_value(self, data: Any) -> FloatArray:
        """Return a `(784,)` float32 array, or raise `invalid_input` naming the problem."""
        return parse_pixels(data, self.field_name or "pixels")

    def to_representation(self, value: Any) -> list[float]:
        """Return the pixels as a JSON list."""
        return [float(v) for v in value]


@extend_schema_field(
    {
        "type": "array",
        "items": _PIXELS_SCHEMA,
        "minItems": 1,
        "description": "Images of 784 pixels each; at most HIPPO_PREDICT_BATCH_LIMIT (1,000).",
    }
)
class BatchField(serializers.Field):  # type: ignore[type-arg]
    """A list of images of 784 numbers in 0..1, checked with NumPy as one `(n, 784)` array."""

    def to_internal_value(self, data: Any) -> FloatArray:
        """Return an `(n, 784)` float32 array; a batch over the limit is a 413."""
        return parse_batch(
            data, int(settings.HIPPO_PREDICT_BATCH_LIMIT), self.field_name or "batch"
        )

    def to_representation(self, value: Any) -> list[list[float]]:
        """Return the batch as JSON lists."""
        return [[float(v) for v in row] for row in value]


def model_field() -> serializers.CharField:
    """The optional `model` field of request bodies: a registered name; absent means the default."""
    return serializers.CharField(
        required=False,
        allow_null=True,
        max_length=MODEL_NAME_MAX_LENGTH,
        help_text="Name of a registered model; omit (or null) for the default model.",
    )


MODEL_FIELD = model_field()
"""One `model` field shared by the views' hot path (`inference.request_bodies.model_name`)."""
