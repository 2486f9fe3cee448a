"""Serializers of the inference API's requests: JSON bodies and query strings.

They describe the bodies for the OpenAPI schema and validate them the same way as the views' hot
path: the rules live in `inference.request_bodies`, which both call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from api.queries import QuerySerializer
from inference.fields import BatchField, PixelsField, model_field
from inference.request_bodies import check_fields, pixels_input, predict_input


class StrictRequestSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A JSON request body: a field the schema does not name is a 400, never silently dropped.

    The OpenAPI schema says so too (`additionalProperties: false`, added by
    `inference.schema.forbid_unknown_fields`), so a typo such as `pixel` is reported as such.
    """

    def to_internal_value(self, data: Any) -> Any:
        """Refuse unknown fields (naming each), then validate as usual."""
        if isinstance(data, Mapping):
            check_fields(data, list(self.fields))
        return super().to_internal_value(data)


@extend_schema_serializer(component_name="Predict")
class PredictRequestSerializer(StrictRequestSerializer):
    """`POST /predict`: exactly one of `pixels` (one image) and `batch` (many).

    The fields describe the body for the schema. The rules live in one place,
    `inference.request_bodies.predict_input`, which the view calls directly (no serializer
    instance per request) and which validating through this serializer runs as well.
    """

    pixels = PixelsField(required=False)
    batch = BatchField(required=False)
    model = model_field()

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        """The checked body: `pixels` or `batch` (a NumPy array), and `model`."""
        checked = predict_input(data)
        return {"batch" if checked.batch else "pixels": checked.pixels, "model": checked.model}


@extend_schema_serializer(component_name="Pixels")
class PixelsRequestSerializer(StrictRequestSerializer):
    """`POST /activations`: one image (rules: `inference.request_bodies.pixels_input`)."""

    pixels = PixelsField()
    model = model_field()

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        """The checked body: `pixels` (a NumPy array) and `model`."""
        pixels, model = pixels_input(data)
        return {"pixels": pixels, "model": model}


@extend_schema_serializer(component_name="ImageJSON")
class ImageJSONRequestSerializer(StrictRequestSerializer):
    """`POST /predict/image` as JSON: the image as a `data:` URL."""

    image = serializers.CharField(
        help_text="A PNG or JPEG as a data: URL (data:image/png;base64,...), any size or polarity.",
        trim_whitespace=False,
    )
    model = model_field()


@extend_schema_serializer(component_name="ImageUpload")
class ImageUploadRequestSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """`POST /predict/image` as multipart/form-data: the image as a file."""

    image = serializers.FileField(help_text="A PNG or JPEG file, any size, either polarity.")
    model = model_field()


class BinaryQuerySerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Query of `POST /predict` and `POST /activations` with a binary body: the model."""

    model = model_field()


class WeightsQuerySerializer(QuerySerializer):
    """Query of `GET /models/{name}/weights` (an empty value, `?layer=`, is a 400)."""

    layer = serializers.IntegerField(
        min_value=0,
        default=0,
        help_text="The l-th layer with parameters (dense or conv2d), 0 = the first; for an MLP, "
        "layer l connects layer l to layer l+1. A layer detail's `weights_layer` names it. At "
        "most the model's number of layers with parameters minus 1 (e.g. 1 for 784-100-10); a "
        "larger value is a 400 `invalid_input` naming the maximum.",
    )
    neuron = serializers.IntegerField(
        min_value=0,
        required=False,
        help_text="One unit of that layer (a neuron, or a conv output channel): its incoming "
        "weights only. At most the layer's units minus 1; a larger value is a 400 "
        "`invalid_input` naming the maximum.",
    )
