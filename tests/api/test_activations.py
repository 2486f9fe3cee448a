"""`POST /activations`: every layer's values, the original API's `layers` list, the prediction."""

from __future__ import annotations

import numpy as np
import pytest
from django.test import Client

from registry.models import RegisteredModel
from registry.services import load_network
from tests.api.helpers import assert_error, digit_pixels, post_json

pytestmark = pytest.mark.django_db


def test_activations(client: Client, registered_model: RegisteredModel) -> None:
    pixels = digit_pixels()
    response = post_json(client, "/activations", {"pixels": pixels})
    assert response.status_code == 200
    body = response.json()
    assert {
        "layers",
        "layer_details",
        "predicted_digit",
        "confidence",
        "probabilities",
        "model",
    } == set(body)
    assert [len(values) for values in body["layers"]] == [784, 16, 10]
    np.testing.assert_allclose(body["layers"][0], pixels, rtol=1e-6)
    network = load_network(registered_model)
    expected = network.activations(np.asarray(pixels, dtype=np.float32))
    details = body["layer_details"]
    assert [d["index"] for d in details] == [0, 1, 2]
    assert [d["size"] for d in details] == [784, 16, 10]
    assert [d["activation"] for d in details] == ["input", "relu", "softmax"]
    assert details[0]["pre_activations"] is None
    for detail, layer in zip(details[1:], expected[1:], strict=True):
        assert layer.pre_activations is not None
        np.testing.assert_allclose(detail["values"], layer.values, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(
            detail["pre_activations"], layer.pre_activations, rtol=1e-5, atol=1e-7
        )
    # ReLU: the values are the positive part of the pre-activations.
    np.testing.assert_allclose(details[1]["values"], np.maximum(details[1]["pre_activations"], 0))
    assert body["probabilities"] == body["layers"][-1]
    assert body["predicted_digit"] == int(np.argmax(body["probabilities"]))
    assert body["model"] == registered_model.name


def test_activations_agree_with_predict(client: Client, registered_model: RegisteredModel) -> None:
    pixels = digit_pixels()
    predicted = post_json(client, "/predict", {"pixels": pixels}).json()
    layers = post_json(client, "/activations", {"pixels": pixels}).json()
    np.testing.assert_allclose(layers["probabilities"], predicted["probabilities"], rtol=1e-5)
    assert layers["predicted_digit"] == predicted["predicted_digit"]


def test_named_model(client: Client, two_registered_models: tuple[RegisteredModel, ...]) -> None:
    _, second = two_registered_models
    body = post_json(
        client, "/activations", {"pixels": digit_pixels(), "model": second.name}
    ).json()
    assert body["model"] == second.name
    assert [len(values) for values in body["layers"]] == [784, 12, 10]


def test_batch_is_not_accepted(client: Client, registered_model: RegisteredModel) -> None:
    error = assert_error(post_json(client, "/activations", {"batch": [digit_pixels()]}), 400)
    assert error["fields"] == {"batch": ["unknown field (accepted: pixels, model)"]}
