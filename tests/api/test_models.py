"""`GET /models`, `GET /models/{name}` and `GET /models/{name}/weights`."""

from __future__ import annotations

import numpy as np
import pytest
from django.test import Client

from registry.models import RegisteredModel
from registry.services import load_network
from tests.api.helpers import assert_error, post_json

pytestmark = pytest.mark.django_db

SUMMARY_KEYS = {
    "name",
    "display_name",
    "description",
    "architecture",
    "sizes",
    "activation",
    "output",
    "accuracy",
    "is_default",
    "status",
    "created_at",
    "hub",
}


def test_list_models(client: Client, two_registered_models: tuple[RegisteredModel, ...]) -> None:
    first, second = two_registered_models
    response = client.get("/models")
    assert response.status_code == 200
    body = response.json()
    assert body["default"] == first.name
    assert [model["name"] for model in body["models"]] == sorted([first.name, second.name])
    by_name = {model["name"]: model for model in body["models"]}
    a = by_name[first.name]
    assert set(a) == SUMMARY_KEYS
    assert a["sizes"] == [784, 16, 10]
    assert a["architecture"] == "784-16-10"
    assert a["activation"] == "relu"
    assert a["output"] == "softmax"
    assert a["accuracy"] == pytest.approx(11.5)
    assert a["is_default"] is True
    assert by_name[second.name]["is_default"] is False
    assert a["status"] == "available"
    assert a["hub"]["store"] == "local"
    assert a["hub"]["revision"] == first.revision
    assert a["hub"]["filename"] == first.filename
    assert a["hub"]["repo"] == first.repo


def test_disabled_models_are_not_listed(
    client: Client, two_registered_models: tuple[RegisteredModel, ...]
) -> None:
    first, second = two_registered_models
    RegisteredModel.objects.filter(pk=second.pk).update(enabled=False)
    names = [model["name"] for model in client.get("/models").json()["models"]]
    assert names == [first.name]
    assert_error(client.get(f"/models/{second.name}"), 404, "model_not_found")


def test_no_models(client: Client, db: None) -> None:
    assert client.get("/models").json() == {"models": [], "default": None}


def test_model_detail(client: Client, registered_model: RegisteredModel) -> None:
    response = client.get(f"/models/{registered_model.name}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= SUMMARY_KEYS
    assert set(body["metrics"]) == {
        "test_accuracy",
        "validation_accuracy",
        "per_class_accuracy",
        "confusion_matrix",
        "test_loss",
    }
    assert body["metrics"]["test_accuracy"] == pytest.approx(11.5)
    assert len(body["metrics"]["per_class_accuracy"]) == 10
    assert np.asarray(body["metrics"]["confusion_matrix"]).shape == (10, 10)
    assert body["history"][0]["epoch"] == 1
    assert "history" not in body["training"]
    assert body["training"]["config"]["epochs"] == 1
    assert body["sha256"] == registered_model.sha256
    assert body["size_bytes"] == registered_model.size_bytes


def test_broken_model_is_still_described(client: Client, registered_model: RegisteredModel) -> None:
    RegisteredModel.objects.filter(pk=registered_model.pk).update(
        status="broken", status_reason="checksum mismatch"
    )
    body = client.get(f"/models/{registered_model.name}").json()
    assert body["status"] == "broken"


def test_unknown_model_detail(client: Client, db: None) -> None:
    error = assert_error(client.get("/models/nope"), 404, "model_not_found")
    assert "nope" in error["message"]


def test_first_layer_weights_as_maps(client: Client, registered_model: RegisteredModel) -> None:
    response = client.get(f"/models/{registered_model.name}/weights?layer=0")
    assert response.status_code == 200
    body = response.json()
    network = load_network(registered_model)
    assert body["model"] == registered_model.name
    assert body["layer"] == 0
    assert body["shape"] == [16, 784]
    assert body["image_shape"] == [28, 28]
    np.testing.assert_allclose(body["weights"], network.weights[0], rtol=1e-6)
    np.testing.assert_allclose(body["biases"], network.biases[0], rtol=1e-6)
    # Each neuron's 784 weights reshape into a 28x28 map.
    assert np.asarray(body["weights"][3]).reshape(28, 28).shape == (28, 28)


def test_layer_defaults_to_zero(client: Client, registered_model: RegisteredModel) -> None:
    body = client.get(f"/models/{registered_model.name}/weights").json()
    assert body["layer"] == 0


def test_second_layer_and_one_neuron(client: Client, registered_model: RegisteredModel) -> None:
    network = load_network(registered_model)
    layer = client.get(f"/models/{registered_model.name}/weights?layer=1").json()
    assert layer["shape"] == [10, 16]
    assert layer["image_shape"] is None
    neuron = client.get(f"/models/{registered_model.name}/weights?layer=0&neuron=5").json()
    assert set(neuron) == {"model", "layer", "neuron", "type", "weights", "bias", "image_shape"}
    assert neuron["type"] == layer["type"] == "dense"
    np.testing.assert_allclose(neuron["weights"], network.weights[0][5], rtol=1e-6)
    assert neuron["bias"] == pytest.approx(float(network.biases[0][5]))
    assert neuron["image_shape"] == [28, 28]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("layer=2", "layer"),
        ("layer=-1", "layer"),
        ("layer=x", "layer"),
        ("layer=1.5", "layer"),
        ("layer=0&neuron=16", "neuron"),
        ("layer=0&neuron=-3", "neuron"),
        ("layer=0&neuron=abc", "neuron"),
    ],
)
def test_bad_weights_query(
    client: Client, registered_model: RegisteredModel, query: str, field: str
) -> None:
    response = client.get(f"/models/{registered_model.name}/weights?{query}")
    error = assert_error(response, 400, "invalid_input")
    assert field in error["fields"]


def test_weights_of_unknown_model(client: Client, db: None) -> None:
    assert_error(client.get("/models/nope/weights?layer=0"), 404, "model_not_found")


def test_no_trailing_slashes(client: Client, registered_model: RegisteredModel) -> None:
    assert client.get("/models").status_code == 200
    assert_error(client.get("/models/"), 404)


def test_an_unknown_model_is_worded_alike_everywhere(
    client: Client, registered_model: RegisteredModel
) -> None:
    described = assert_error(client.get("/models/nope"), 404, "model_not_found")
    predicted = assert_error(
        post_json(client, "/predict", {"pixels": [0.0] * 784, "model": "nope"}),
        404,
        "model_not_found",
    )
    weights = assert_error(client.get("/models/nope/weights?layer=0"), 404, "model_not_found")
    assert described["message"] == predicted["message"] == weights["message"]
    assert described["fields"] == predicted["fields"] == {"model": [described["message"]]}
