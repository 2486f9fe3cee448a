"""The JSON bodies of `POST /predict` and `POST /activations`, checked without a serializer.

These run on every request of the hot path. A DRF serializer costs ~150 µs there before checking
anything (it deep-copies its fields for each instance), so the views call these functions instead:
the 784 numbers go through the vectorised checks of `inference.pixels`, and `model` through the
same DRF field the schema documents (`inference.fields.MODEL_FIELD`, one shared instance;
checking a value does not change it). The serializers stay the schema's description of these
bodies; `tests/api/test_bad_input.py` holds both to the same answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ValidationError

from api.errors import invalid_input
from inference.fields import MODEL_FIELD
from inference.pixels import check_not_both, parse_batch, parse_pixels
from nn_core.arrays import FloatArray

PREDICT_FIELDS = ("pixels", "batch", "model")
PIXELS_FIELDS = ("pixels", "model")


def check_fields(data: Any, accepted: tuple[str, ...] | list[str]) -> Mapping[str, Any]:
    """`data` as a mapping of known fields only, or a 400 naming each unknown field."""
    if not isinstance(data, Mapping):
        kind = type(data).__name__
        raise invalid_input(
            {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
        )
    unknown = sorted(str(key) for key in data if key not in accepted)
    if unknown:
        listed = ", ".join(accepted)
        raise invalid_input({name: [f"unknown field (accepted: {listed})"] for name in unknown})
    return data


def model_name(data: Mapping[str, Any]) -> str | None:
    """The optional `model` field, checked by the documented DRF field (None: the default)."""
    if "model" not in data:
        return None
    try:
        name: str | None = MODEL_FIELD.run_validation(data["model"])
    except ValidationError as exc:
        details = exc.detail if isinstance(exc.detail, list) else [exc.detail]
        raise invalid_input({"model": [str(message) for message in details]}) from None
    return name


@dataclass(frozen=True)
class PredictInput:
    """A checked `POST /predict` body: `pixels` is `(784,)`, or `(n, 784)` for a batch."""

    pixels: FloatArray
    batch: bool
    model: str | None


def predict_input(data: Any) -> PredictInput:
    """Check a `POST /predict` body: exactly one of `pixels` and `batch`, and maybe `model`.

    Raises:
        ApiError: 400 `invalid_input` naming the field, or 413 for a batch over the limit.
    """
    body = check_fields(data, PREDICT_FIELDS)
    pixels = parse_pixels(body["pixels"]) if "pixels" in body else None
    limit = int(settings.HIPPO_PREDICT_BATCH_LIMIT)
    batch = parse_batch(body["batch"], limit) if "batch" in body else None
    model = model_name(body)
    check_not_both(dict(body))
    if pixels is not None:
        return PredictInput(pixels, False, model)
    assert batch is not None  # check_not_both: one of them is there
    return PredictInput(batch, True, model)


def pixels_input(data: Any) -> tuple[FloatArray, str | None]:
    """Check a `POST /activations` body: `pixels` and maybe `model`.

    Raises:
        ApiError: 400 `invalid_input` naming the field.
    """
    body = check_fields(data, PIXELS_FIELDS)
    if "pixels" not in body:
        raise invalid_input({"pixels": ["This field is required."]})
    pixels = parse_pixels(body["pixels"])
    return pixels, model_name(body)
