"""Serializers of the inference API.

Request serializers validate; the 784-number arrays go through custom fields that call the
vectorised parsers in `inference.pixels` (never a `ListField(FloatField)`, which would check 784
numbers one Python call at a time). Response serializers describe the JSON the services build, for
the OpenAPI schema; `tests/api/test_schema_shapes.py` checks that real responses match them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from inference.pixels import INPUT_SIZE, FloatArray, parse_batch, parse_pixels
from inference.queries import QuerySerializer
from inference.request_bodies import check_fields, pixels_input, predict_input
from nn_core.layers import LAYER_TYPES, PARAMETER_TYPES

MODEL_NAME_MAX_LENGTH = 200
MODEL_STATUSES = ("available", "unavailable", "broken")
READINESS_STATUSES = ("ready", "not_ready")
HEALTH_STATUSES = ("ok",)
STORES = ("hub", "local")
LAYER_KINDS = ("input", *LAYER_TYPES)
# A plain string in the schema: a second enum for a field named `type` would collide with the
# layer details' one in drf-spectacular's component names.
PARAMETER_KINDS_HELP = " or ".join(f'"{kind}"' for kind in PARAMETER_TYPES)

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

# --- requests ---------------------------------------------------------------------------------


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


# --- responses --------------------------------------------------------------------------------


class PredictionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One prediction."""

    predicted_digit = serializers.IntegerField(min_value=0, max_value=9)
    confidence = serializers.FloatField(help_text="Probability of the predicted digit (0..1).")
    probabilities = serializers.ListField(
        child=serializers.FloatField(),
        min_length=10,
        max_length=10,
        help_text="One per digit 0..9.",
    )


class PredictResponseSerializer(PredictionSerializer):
    """`POST /predict` with `pixels`."""

    model = serializers.CharField(help_text="Name of the model that answered.")


class BatchPredictResponseSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """`POST /predict` with `batch`."""

    predictions = PredictionSerializer(many=True)
    model = serializers.CharField()


class ImagePredictResponseSerializer(PredictResponseSerializer):
    """`POST /predict/image`."""

    pixels = serializers.ListField(
        child=serializers.FloatField(),
        min_length=INPUT_SIZE,
        max_length=INPUT_SIZE,
        help_text="The normalised 28x28 image the network saw, row by row, 0..1.",
    )


class LayerDetailSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One layer's activations."""

    index = serializers.IntegerField(min_value=0)
    size = serializers.IntegerField(min_value=1)
    activation = serializers.CharField(
        help_text='"input" for layer 0, else e.g. "relu", "softmax".'
    )
    values = serializers.ListField(child=serializers.FloatField())
    pre_activations = serializers.ListField(
        child=serializers.FloatField(),
        allow_null=True,
        help_text="z = w·a + b (flat like `values`); null for the input and for layers without "
        "parameters (pooling, flatten, dropout).",
    )
    type = serializers.ChoiceField(
        choices=LAYER_KINDS, help_text='"input", "dense", "conv2d", "maxpool2d", ...'
    )
    shape = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        help_text="[size] for vectors, [channels, height, width] for feature maps; `values` is "
        "flat, row-major over it.",
    )
    weights_layer = serializers.IntegerField(
        min_value=0,
        allow_null=True,
        help_text="The `layer` of GET /models/{name}/weights with this layer's incoming "
        "parameters; null for layers without parameters.",
    )


class ActivationsResponseSerializer(PredictResponseSerializer):
    """`POST /activations`."""

    layers = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text="Values of every layer, input first (the original Hippo API's shape).",
    )
    layer_details = LayerDetailSerializer(many=True)


class HubLocationSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Where a model's files live."""

    store = serializers.ChoiceField(choices=STORES)
    repo = serializers.CharField()
    revision = serializers.CharField()
    filename = serializers.CharField()
    url = serializers.URLField(allow_null=True, help_text="The repository's page on the Hub.")


class ModelSummarySerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A registered model."""

    name = serializers.CharField()
    display_name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    architecture = serializers.CharField(
        help_text='Layer sizes joined by dashes, "784-100-10", for an MLP; else the input shape '
        'and the layers, "1x28x28-conv3x3x16-pool2-...-dense10".'
    )
    sizes = serializers.ListField(child=serializers.IntegerField(min_value=1))
    activation = serializers.CharField()
    output = serializers.CharField()
    accuracy = serializers.FloatField(allow_null=True, help_text="Test accuracy in percent.")
    is_default = serializers.BooleanField()
    status = serializers.ChoiceField(choices=MODEL_STATUSES)
    created_at = serializers.DateTimeField(allow_null=True, help_text="When it was trained.")
    hub = HubLocationSerializer()


class ModelListResponseSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """`GET /models`."""

    models = ModelSummarySerializer(many=True)
    default = serializers.CharField(allow_null=True, help_text="Name of the default model.")


class MetricsSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Evaluation of a model (accuracies in percent)."""

    test_accuracy = serializers.FloatField(allow_null=True)
    validation_accuracy = serializers.FloatField(allow_null=True)
    per_class_accuracy = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    confusion_matrix = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()), allow_null=True
    )
    test_loss = serializers.FloatField(allow_null=True)


class ModelDetailResponseSerializer(ModelSummarySerializer):
    """`GET /models/{name}`."""

    metrics = MetricsSerializer()
    history = serializers.ListField(
        child=serializers.DictField(),
        help_text="Per epoch: epoch, train_loss, validation_accuracy, seconds, ...",
    )
    training = serializers.DictField(help_text="The training configuration.")
    sha256 = serializers.CharField(allow_blank=True)
    size_bytes = serializers.IntegerField(allow_null=True)


class LayerWeightsResponseSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """`GET /models/{name}/weights?layer=l`."""

    model = serializers.CharField()
    layer = serializers.IntegerField()
    type = serializers.CharField(help_text=PARAMETER_KINDS_HELP)
    shape = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="[out, in] for dense, [out_channels, in_channels, kh, kw] for conv2d",
    )
    weights = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text="One row per neuron / output channel (a kernel, flat over kernel_shape).",
    )
    biases = serializers.ListField(child=serializers.FloatField())
    image_shape = serializers.ListField(
        child=serializers.IntegerField(),
        allow_null=True,
        help_text="How to draw one row: [28, 28] for a first dense layer over the image, "
        "[kh, kw] for conv2d, else null.",
    )
    kernel_shape = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="conv2d only: [in_channels, kh, kw].",
    )


class NeuronWeightsResponseSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """`GET /models/{name}/weights?layer=l&neuron=k`."""

    model = serializers.CharField()
    layer = serializers.IntegerField()
    neuron = serializers.IntegerField()
    type = serializers.CharField(help_text=PARAMETER_KINDS_HELP)
    weights = serializers.ListField(child=serializers.FloatField())
    bias = serializers.FloatField()
    image_shape = serializers.ListField(child=serializers.IntegerField(), allow_null=True)
    kernel_shape = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="conv2d only: [in_channels, kh, kw].",
    )


class HealthResponseSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """`GET /healthz`."""

    status = serializers.ChoiceField(choices=HEALTH_STATUSES)


class CheckSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One readiness check."""

    ok = serializers.BooleanField()
    detail = serializers.CharField()


class ModelCheckSerializer(CheckSerializer):
    """The default model's readiness check."""

    name = serializers.CharField(allow_null=True)


HUB_STATES = ("not_used", "cached", "downloading", "unreachable", "not_fetched", "unknown")


class HubCheckSerializer(CheckSerializer):
    """The Hub's state for the default model (informative: it does not decide readiness)."""

    state = serializers.ChoiceField(
        choices=HUB_STATES,
        help_text="not_used: the default is in the local store; cached: its files are in the "
        "local Hub cache; downloading; unreachable: the last download failed (detail says how); "
        "not_fetched.",
    )


class ReadinessChecksSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """All readiness checks."""

    database = CheckSerializer()
    model = ModelCheckSerializer()
    hub = HubCheckSerializer()
    mnist = CheckSerializer()


class ReadinessResponseSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """`GET /readyz`."""

    status = serializers.ChoiceField(choices=READINESS_STATUSES)
    checks = ReadinessChecksSerializer()


class ErrorDetailSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """The inside of every error response."""

    code = serializers.CharField(help_text="Stable machine-readable code, e.g. invalid_input.")
    message = serializers.CharField()
    # DRF pops declared fields off the class, so this does not shadow `Serializer.fields`.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per request field; empty when the error is not about a field.",
    )


class ErrorResponseSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Every error: `{"error": {"code", "message", "fields"}}`."""

    error = ErrorDetailSerializer()
