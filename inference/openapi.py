"""The OpenAPI documentation of each inference operation, one `extend_schema` per view method.

Kept apart from `inference.views` (the HTTP adapters) so a view reads as what it does; the
example payloads are `inference.openapi_examples`, the error responses `api.schema`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers

from api.schema import BODY_ERRORS, EXAMPLE_PIXELS, error_responses, example
from inference.openapi_examples import (
    EXAMPLE_IMAGE_DATA_URL,
    EXAMPLE_MODEL,
    EXAMPLE_PREDICTION,
    EXAMPLE_SUMMARY,
)
from inference.request_serializers import (
    ImageJSONRequestSerializer,
    ImageUploadRequestSerializer,
    PixelsRequestSerializer,
    PredictRequestSerializer,
    WeightsQuerySerializer,
)
from inference.response_serializers import (
    ActivationsResponseSerializer,
    BatchPredictResponseSerializer,
    HealthResponseSerializer,
    ImagePredictResponseSerializer,
    LayerWeightsResponseSerializer,
    ModelDetailResponseSerializer,
    ModelListResponseSerializer,
    NeuronWeightsResponseSerializer,
    PredictResponseSerializer,
    ReadinessResponseSerializer,
)

MODEL_ERRORS = ("model_not_found", "no_default_model", "model_unavailable", "database_unavailable")
"""The errors of every operation that names a model (or uses the default)."""

MODEL_PATH_PARAMETER = OpenApiParameter(
    "name", str, OpenApiParameter.PATH, description="Name of a registered model."
)

BINARY_DESCRIPTION = (
    "Binary bodies, for throughput (no JSON to parse): `application/octet-stream` is n x 784 "
    "uint8 pixels, row-major, image after image (0 = background, 255 = ink); "
    "`application/x-npy` is one NumPy `.npy` array of shape (n, 784) or (n, 28, 28), dtype "
    "uint8 (0..255) or float32 (0..1), read without unpickling. The model is then chosen with "
    "the `model` query parameter. Errors in a binary body are reported under the field `body`."
)


def binary_request(json_serializer: type[serializers.Serializer]) -> dict[str, Any]:  # type: ignore[type-arg]
    """The request bodies of an endpoint that takes JSON and binary pixels (for the schema)."""
    return {
        "application/json": json_serializer,
        "application/octet-stream": OpenApiTypes.BINARY,
        "application/x-npy": OpenApiTypes.BINARY,
    }


MODEL_QUERY_PARAMETER = OpenApiParameter(
    "model",
    str,
    OpenApiParameter.QUERY,
    required=False,
    description="Binary bodies only: name of a registered model (default: the default model). "
    "JSON bodies name the model in the body.",
)


predict = extend_schema(
    operation_id="predict",
    summary="Predict the digit of one image, or of a batch",
    description="JSON: `pixels` (one image) or `batch` (up to HIPPO_PREDICT_BATCH_LIMIT "
    "images); unknown fields are refused. " + BINARY_DESCRIPTION + " A binary body is "
    "always answered like a batch: `{predictions, model}`.",
    parameters=[MODEL_QUERY_PARAMETER],
    request=binary_request(PredictRequestSerializer),
    responses={
        200: OpenApiResponse(
            PolymorphicProxySerializer(
                component_name="PredictResult",
                serializers=[PredictResponseSerializer, BatchPredictResponseSerializer],
                resource_type_field_name=None,
            ),
            description="With `pixels`: one prediction. With `batch`: `{predictions, model}`.",
        ),
        **error_responses(*BODY_ERRORS, *MODEL_ERRORS),
    },
    examples=[
        example("One image", {"pixels": EXAMPLE_PIXELS}, request=True),
        example(
            "One image, named model",
            {"pixels": EXAMPLE_PIXELS, "model": EXAMPLE_MODEL},
            request=True,
        ),
        example("A batch", {"batch": [EXAMPLE_PIXELS, EXAMPLE_PIXELS]}, request=True),
        example("Prediction", {**EXAMPLE_PREDICTION, "model": EXAMPLE_MODEL}),
        example(
            "Batch prediction",
            {"predictions": [EXAMPLE_PREDICTION, EXAMPLE_PREDICTION], "model": EXAMPLE_MODEL},
        ),
    ],
)


predict_image = extend_schema(
    operation_id="predict_image",
    summary="Predict the digit drawn in a PNG or JPEG image",
    description=(
        "The image may be any size, drawn dark on light or light on dark (a transparent "
        "background counts as background). It is normalised the way MNIST was made (ink "
        "bounding box scaled to 20x20, centred by centre of mass in 28x28); the response "
        "includes the 784 pixels the network saw."
    ),
    request={
        "application/json": ImageJSONRequestSerializer,
        "multipart/form-data": ImageUploadRequestSerializer,
    },
    responses={
        200: ImagePredictResponseSerializer,
        **error_responses(
            *BODY_ERRORS, "malformed_multipart", "busy", "too_many_images", *MODEL_ERRORS
        ),
    },
    examples=[
        # The first example is what Swagger UI's try-it-out sends: the default model.
        example("A data: URL", {"image": EXAMPLE_IMAGE_DATA_URL}, request=True),
        example(
            "A data: URL, named model",
            {"image": EXAMPLE_IMAGE_DATA_URL, "model": EXAMPLE_MODEL},
            request=True,
        ),
        example(
            "Prediction",
            {**EXAMPLE_PREDICTION, "model": EXAMPLE_MODEL, "pixels": EXAMPLE_PIXELS},
        ),
    ],
)


_LSTM_ROWS = [[0.0, 0.12, -0.05], [0.01, 0.2, -0.11]]
"""Two of the 28 steps of three of the units, for the recurrent examples."""

activations_lstm_example = example(
    "An LSTM (shortened: 28 steps × 128 units are 2 × 3 here)",
    {
        **EXAMPLE_PREDICTION,
        "model": "mnist-lstm128",
        "layers": [[0.0, 1.0], [0.0, 1.0], [0.01, 0.2, -0.11], EXAMPLE_PREDICTION["probabilities"]],
        "layer_details": [
            {
                "index": 2,
                "size": 128,
                "activation": "identity",
                "type": "lstm",
                "shape": [128],
                "weights_layer": 0,
                "values": [0.01, 0.2, -0.11],
                "pre_activations": [0.01, 0.2, -0.11],
                "recurrent": {
                    "steps": 28,
                    "units": 128,
                    "shape": [28, 128],
                    "hidden": _LSTM_ROWS,
                    "gates": {
                        "i": [[0.5, 0.6, 0.4]],
                        "f": [[0.73, 0.8, 0.7]],
                        "g": [[0.0, 0.3, -0.2]],
                        "o": [[0.5, 0.52, 0.49]],
                    },
                    "cell": _LSTM_ROWS,
                },
            },
        ],
        "step_predictions": {
            "layer": 2,
            "shape": [28, 10],
            "predicted_digits": [0, 7, 1],
            "confidences": [0.1, 0.31, 0.981],
            "probabilities": [[0.1] * 10, EXAMPLE_PREDICTION["probabilities"]],
            "settled_step": 9,
        },
    },
)


activations = extend_schema(
    operation_id="activations",
    summary="Every layer's activations and pre-activations for one image",
    description="JSON: `pixels`; unknown fields are refused. "
    + BINARY_DESCRIPTION
    + " Here a binary body holds exactly one image (784 bytes, or an array of shape "
    "(1, 784) or (1, 28, 28)).",
    parameters=[MODEL_QUERY_PARAMETER],
    request=binary_request(PixelsRequestSerializer),
    responses={
        200: ActivationsResponseSerializer,
        **error_responses(*BODY_ERRORS, *MODEL_ERRORS),
    },
    examples=[
        example("One image", {"pixels": EXAMPLE_PIXELS}, request=True),
        example(
            "Activations (shortened: real layers hold 784, 100 and 10 values)",
            {
                **EXAMPLE_PREDICTION,
                "model": EXAMPLE_MODEL,
                "layers": [
                    [0.0, 1.0, 0.5],
                    [0.0, 2.31, 0.87],
                    EXAMPLE_PREDICTION["probabilities"],
                ],
                "layer_details": [
                    {
                        "index": 0,
                        "size": 784,
                        "activation": "input",
                        "values": [0.0, 1.0, 0.5],
                        "pre_activations": None,
                    },
                    {
                        "index": 1,
                        "size": 100,
                        "activation": "relu",
                        "values": [0.0, 2.31, 0.87],
                        "pre_activations": [-0.42, 2.31, 0.87],
                    },
                    {
                        "index": 2,
                        "size": 10,
                        "activation": "softmax",
                        "values": EXAMPLE_PREDICTION["probabilities"],
                        "pre_activations": [
                            -2.1,
                            4.8,
                            -1.0,
                            -1.5,
                            -2.0,
                            -2.2,
                            -1.4,
                            -0.7,
                            -0.8,
                            -2.3,
                        ],
                    },
                ],
            },
        ),
        activations_lstm_example,
    ],
)


models_list = extend_schema(
    operation_id="models_list",
    summary="The enabled models and the default",
    responses={200: ModelListResponseSerializer, **error_responses("database_unavailable")},
    examples=[example("Models", {"models": [EXAMPLE_SUMMARY], "default": EXAMPLE_MODEL})],
)


models_retrieve = extend_schema(
    operation_id="models_retrieve",
    summary="One model with its metrics and training history",
    parameters=[MODEL_PATH_PARAMETER],
    responses={
        200: ModelDetailResponseSerializer,
        **error_responses("model_not_found", "database_unavailable"),
    },
    examples=[
        example(
            "A model",
            {
                **EXAMPLE_SUMMARY,
                "metrics": {
                    "test_accuracy": 97.8,
                    "validation_accuracy": 97.9,
                    "per_class_accuracy": [
                        99.1,
                        99.2,
                        97.6,
                        97.5,
                        97.8,
                        97.1,
                        98.2,
                        97.2,
                        96.8,
                        96.5,
                    ],
                    "confusion_matrix": [
                        [971 if i == j else 1 for j in range(10)] for i in range(10)
                    ],
                    "test_loss": 0.075,
                },
                "history": [
                    {
                        "epoch": 1,
                        "train_loss": 0.31,
                        "validation_accuracy": 94.9,
                        "seconds": 1.2,
                    }
                ],
                "training": {"epochs": 30, "mini_batch_size": 10, "learning_rate": 0.1},
                "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "size_bytes": 318_560,
            },
        )
    ],
)


models_weights = extend_schema(
    operation_id="models_weights",
    summary="A layer's weights and biases, or one neuron's incoming weights",
    parameters=[MODEL_PATH_PARAMETER, WeightsQuerySerializer],
    responses={
        200: OpenApiResponse(
            PolymorphicProxySerializer(
                component_name="WeightsResult",
                serializers=[LayerWeightsResponseSerializer, NeuronWeightsResponseSerializer],
                resource_type_field_name=None,
            ),
            description="Without `neuron`: the layer. With `neuron`: that neuron's weights, "
            "`{model, layer, neuron, weights: [in], bias, image_shape}`.",
        ),
        **error_responses("invalid_input", *MODEL_ERRORS),
    },
    examples=[
        example(
            "Layer 1 (shortened)",
            {
                "model": EXAMPLE_MODEL,
                "layer": 1,
                "shape": [10, 100],
                "weights": [[0.12, -0.3, 0.05]],
                "biases": [0.01],
                "image_shape": None,
            },
        ),
        example(
            "An LSTM layer (shortened: 128 units, 28 inputs per step)",
            {
                "model": "mnist-lstm128",
                "layer": 0,
                "type": "lstm",
                "shape": [512, 156],
                "weights": [[0.12, -0.3, 0.05]],
                "biases": [0.0, 1.0],
                "image_shape": None,
                "recurrent": {
                    "features": 28,
                    "units": 128,
                    "gates": ["i", "f", "g", "o"],
                    "input_weight_shape": [28, 128],
                    "recurrent_weight_shape": [128, 128],
                    "input_weights": {"i": [[0.12, -0.3]], "f": [[0.02, 0.1]]},
                    "recurrent_weights": {"i": [[0.05, -0.01]], "f": [[0.2, 0.03]]},
                    "biases": {"i": [0.0, 0.0], "f": [1.0, 1.0]},
                },
            },
        ),
        example(
            "Neuron 7 of layer 0 (shortened: 784 weights)",
            {
                "model": EXAMPLE_MODEL,
                "layer": 0,
                "neuron": 7,
                "weights": [0.01, -0.02, 0.03],
                "bias": 0.11,
                "image_shape": [28, 28],
            },
        ),
    ],
)


healthz = extend_schema(
    operation_id="healthz",
    summary="Liveness",
    responses={200: HealthResponseSerializer, **error_responses()},
    examples=[example("Alive", {"status": "ok"})],
)


readyz = extend_schema(
    operation_id="readyz",
    summary="Readiness: database, default model, MNIST",
    description="503 when the database or the default model fails; missing MNIST is reported "
    "but does not make the service not ready.",
    responses={
        200: ReadinessResponseSerializer,
        503: OpenApiResponse(ReadinessResponseSerializer, description="Not ready"),
        **error_responses(),
    },
    examples=[
        example(
            "Ready",
            {
                "status": "ready",
                "checks": {
                    "database": {"ok": True, "detail": "ok"},
                    "model": {"ok": True, "detail": "loaded", "name": EXAMPLE_MODEL},
                    "mnist": {
                        "ok": True,
                        "detail": "train 50000, validation 10000, test 10000",
                    },
                },
            },
        ),
        example(
            "Not ready",
            {
                "status": "not_ready",
                "checks": {
                    "database": {"ok": True, "detail": "ok"},
                    "model": {"ok": False, "detail": "No default model is set.", "name": None},
                    "mnist": {"ok": False, "detail": "MNIST files not found"},
                },
            },
            status_code=503,
        ),
    ],
)
