"""Real responses match the response serializers the OpenAPI schema is built from.

Each response is validated by its serializer (types, required fields, nested objects) and its
keys must be exactly the documented ones (optional ones, such as a conv layer's `kernel_shape`,
only where they apply), so the schema can neither miss nor invent a field.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework import serializers

from api.serializers import ErrorResponseSerializer
from inference import response_serializers as s
from registry.models import RegisteredModel
from tests.api.helpers import digit_pixels, post_json

pytestmark = pytest.mark.django_db


def check(serializer_class: type[serializers.Serializer], body: Any) -> None:
    serializer = serializer_class(data=body)
    assert serializer.is_valid(), serializer.errors
    required = {name for name, field in serializer.fields.items() if field.required}
    assert required <= set(body) <= set(serializer.fields), (
        serializer_class.__name__,
        set(body) ^ set(serializer.fields),
    )
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.Serializer) and body.get(name) is not None:
            check(type(field), body[name])
        if isinstance(field, serializers.ListSerializer):
            for item in body.get(name, []):
                check(type(field.child), item)  # type: ignore[arg-type]


def test_response_shapes(client: Client, registered_model: RegisteredModel) -> None:
    name = registered_model.name
    pixels = digit_pixels()
    check(s.ModelListResponseSerializer, client.get("/models").json())
    check(s.ModelDetailResponseSerializer, client.get(f"/models/{name}").json())
    check(s.LayerWeightsResponseSerializer, client.get(f"/models/{name}/weights?layer=0").json())
    check(
        s.NeuronWeightsResponseSerializer,
        client.get(f"/models/{name}/weights?layer=1&neuron=2").json(),
    )
    check(s.PredictResponseSerializer, post_json(client, "/predict", {"pixels": pixels}).json())
    check(
        s.BatchPredictResponseSerializer, post_json(client, "/predict", {"batch": [pixels]}).json()
    )
    check(
        s.ActivationsResponseSerializer,
        post_json(client, "/activations", {"pixels": pixels}).json(),
    )
    check(s.HealthResponseSerializer, client.get("/healthz").json())
    check(s.ReadinessResponseSerializer, client.get("/readyz").json())
    check(ErrorResponseSerializer, post_json(client, "/predict", {"pixels": [1]}).json())


def test_image_response_shape(client: Client, registered_model: RegisteredModel) -> None:
    import base64
    import io

    from PIL import Image

    image = Image.new("L", (50, 50), 0)
    image.paste(255, (20, 5, 30, 45))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    check(
        s.ImagePredictResponseSerializer, post_json(client, "/predict/image", {"image": url}).json()
    )


def test_conv_response_shapes(client: Client, registered_cnn: RegisteredModel) -> None:
    weights = client.get("/models/small-cnn/weights?layer=0").json()
    check(s.LayerWeightsResponseSerializer, weights)
    assert "kernel_shape" in weights
    kernel = client.get("/models/small-cnn/weights?layer=1&neuron=2").json()
    check(s.NeuronWeightsResponseSerializer, kernel)
    assert "kernel_shape" in kernel
    check(
        s.ActivationsResponseSerializer,
        post_json(client, "/activations", {"pixels": digit_pixels(), "model": "small-cnn"}).json(),
    )
    check(s.ModelDetailResponseSerializer, client.get("/models/small-cnn").json())
