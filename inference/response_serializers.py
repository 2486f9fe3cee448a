"""Serializers of the inference API's responses: the JSON the services build, for the schema.

`tests/api/test_schema_shapes.py` checks that real responses match them.
"""

from __future__ import annotations

from rest_framework import serializers

from nn_core.constants import INPUT_SIZE, NUM_CLASSES
from nn_core.layers import LAYER_TYPES, PARAMETER_TYPES

MODEL_STATUSES = ("available", "unavailable", "broken")
READINESS_STATUSES = ("ready", "not_ready")
HEALTH_STATUSES = ("ok",)
STORES = ("hub", "local")
LAYER_KINDS = ("input", *LAYER_TYPES)
# A plain string in the schema: a second enum for a field named `type` would collide with the
# layer details' one in drf-spectacular's component names.
PARAMETER_KINDS_HELP = " or ".join(f'"{kind}"' for kind in PARAMETER_TYPES)


class PredictionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One prediction."""

    predicted_digit = serializers.IntegerField(min_value=0, max_value=NUM_CLASSES - 1)
    confidence = serializers.FloatField(help_text="Probability of the predicted digit (0..1).")
    probabilities = serializers.ListField(
        child=serializers.FloatField(),
        min_length=NUM_CLASSES,
        max_length=NUM_CLASSES,
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


def _matrix(help_text: str, allow_null: bool = False) -> serializers.ListField:
    """A list of rows of numbers (a matrix, row-major)."""
    return serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text=help_text,
        allow_null=allow_null,
    )


class RecurrentStatesSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A recurrent layer's state (and gates) after every step of the sequence it read."""

    steps = serializers.IntegerField(min_value=1, help_text="T: 28 for a digit read row by row.")
    units = serializers.IntegerField(min_value=1, help_text="H: the size of the hidden state.")
    shape = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        help_text="[steps, units]: the shape of `hidden`, of each gate and of `cell`.",
    )
    hidden = _matrix(
        "hₜ after each step t: one row of `units` numbers per step (row t is the "
        "state after reading rows 0..t of the digit)."
    )
    gates = serializers.DictField(
        child=serializers.ListField(child=serializers.ListField(child=serializers.FloatField())),
        help_text="The gate activations after each step by name, each [steps, units]: LSTM "
        '"i", "f", "g", "o" (input, forget, candidate, output); GRU "r", "z", "n" (reset, '
        "update, candidate); empty for a simple RNN.",
    )
    cell = _matrix(
        "The LSTM's cell state cₜ, [steps, units]; null for the RNN and GRU.", allow_null=True
    )


class StepPredictionsSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """The prediction after each step (row) of a recurrent model."""

    layer = serializers.IntegerField(
        min_value=1,
        help_text="`index` of the layer detail whose states are read: the LAST recurrent layer "
        "(an earlier layer of a stack feeds it, not the output).",
    )
    shape = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        help_text="[steps, 10]: the shape of `probabilities`.",
    )
    predicted_digits = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=NUM_CLASSES - 1),
        help_text="The digit on top after each step.",
    )
    confidences = serializers.ListField(
        child=serializers.FloatField(), help_text="Its probability after each step."
    )
    probabilities = _matrix(
        "After step t: the layers after the last recurrent layer, and the output activation, "
        "applied to its state hₜ (what the model would answer had it read only rows 0..t). "
        "The last row is the model's answer."
    )
    settled_step = serializers.IntegerField(
        min_value=0,
        help_text="The first step (0-based) from which `predicted_digits` stays the final "
        "answer: the row by which the model 'knows' (row settled_step + 1, counting from 1).",
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
    recurrent = RecurrentStatesSerializer(
        required=False,
        help_text="Recurrent layers (rnn, lstm, gru) only: every step's state and gates. "
        "`values` stay what the layer outputs (its last state, or every state).",
    )


class ActivationsResponseSerializer(PredictResponseSerializer):
    """`POST /activations`."""

    layers = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text="Values of every layer, input first (the original Hippo API's shape).",
    )
    layer_details = LayerDetailSerializer(many=True)
    step_predictions = StepPredictionsSerializer(
        required=False,
        allow_null=True,
        help_text="Models with recurrent layers only: the prediction after each row. Null when "
        "the last recurrent layer returns every state (the layers after it read all steps at "
        "once, so there is no answer so far).",
    )


class RecurrentWeightsSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A recurrent layer's parameters cut per gate."""

    features = serializers.IntegerField(min_value=1, help_text="F: inputs per step (28 pixels).")
    units = serializers.IntegerField(min_value=1, help_text="H.")
    gates = serializers.ListField(
        child=serializers.CharField(),
        help_text='The column blocks in order: LSTM "i", "f", "g", "o"; GRU "r", "z", "n"; '
        'simple RNN "h" (its one block).',
    )
    input_weight_shape = serializers.ListField(
        child=serializers.IntegerField(min_value=1), help_text="[F, H]: each gate's W."
    )
    recurrent_weight_shape = serializers.ListField(
        child=serializers.IntegerField(min_value=1), help_text="[H, H]: each gate's U."
    )
    input_weights = serializers.DictField(
        child=serializers.ListField(child=serializers.ListField(child=serializers.FloatField())),
        help_text="Per gate, W (F × H): aₜ = xₜW + hₜ₋₁U + b.",
    )
    recurrent_weights = serializers.DictField(
        child=serializers.ListField(child=serializers.ListField(child=serializers.FloatField())),
        help_text="Per gate, U (H × H).",
    )
    biases = serializers.DictField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text='Per gate, b (H); the GRU also has "hn", the recurrent bias inside the reset '
        "gate.",
    )


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
        help_text="[out, in] for dense, [out_channels, in_channels, kh, kw] for conv2d, "
        "[gates·units, features + units] for recurrent layers (the shape of `weights`)",
    )
    weights = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text="One row per neuron / output channel (a kernel, flat over kernel_shape) / "
        "recurrent gate unit (its input weights, then its recurrent weights).",
    )
    biases = serializers.ListField(
        child=serializers.FloatField(),
        help_text="One per row of `weights` (the GRU: 4 × units, its recurrent bias last).",
    )
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
    recurrent = RecurrentWeightsSerializer(
        required=False, help_text="Recurrent layers only: W, U and b cut per gate."
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
    gate = serializers.CharField(
        required=False,
        help_text="Recurrent layers only: the gate of row `neuron` (`neuron` // units).",
    )
    unit = serializers.IntegerField(
        min_value=0,
        required=False,
        help_text="Recurrent layers only: the unit of row `neuron` (`neuron` % units).",
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
