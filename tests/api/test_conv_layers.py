"""A convolutional model through the API: feature maps from `/activations`, kernels from `/weights`.

The shared contract: every layer detail has `type`, `shape` (channels × height × width for
feature maps) and `weights_layer`; `values` stay flat (row-major over `shape`, len == size);
`GET /models/{name}/weights?layer=l` counts the layers with parameters.
"""

from __future__ import annotations

import numpy as np
import pytest
from django.test import Client

from registry.models import RegisteredModel
from registry.services import load_network
from tests.api.helpers import assert_error, digit_pixels, post_json

pytestmark = pytest.mark.django_db


def test_activations_of_a_cnn(client: Client, registered_cnn: RegisteredModel) -> None:
    pixels = digit_pixels()
    response = post_json(client, "/activations", {"pixels": pixels, "model": "small-cnn"})
    assert response.status_code == 200
    body = response.json()
    details = body["layer_details"]
    assert [(d["type"], d["shape"], d["weights_layer"], d["activation"]) for d in details] == [
        ("input", [1, 28, 28], None, "input"),
        ("conv2d", [4, 26, 26], 0, "relu"),
        ("maxpool2d", [4, 13, 13], None, "max"),
        ("conv2d", [6, 13, 13], 1, "relu"),
        ("flatten", [1014], None, "identity"),
        ("dense", [12], 2, "relu"),
        ("dense", [10], 3, "softmax"),
    ]
    for detail in details:
        assert len(detail["values"]) == detail["size"] == int(np.prod(detail["shape"]))
    assert details[2]["pre_activations"] is None
    # The pooled maps are the 2 × 2 maxima of the conv maps, channels first.
    conv = np.asarray(details[1]["values"]).reshape(4, 26, 26)
    pooled = conv.reshape(4, 13, 2, 13, 2).max(axis=(2, 4))
    np.testing.assert_allclose(np.asarray(details[2]["values"]).reshape(4, 13, 13), pooled)
    # The flat layer is the pooled-then-convolved maps in (height, width, channel) order.
    maps = np.asarray(details[3]["values"]).reshape(6, 13, 13)
    np.testing.assert_allclose(details[4]["values"], maps.transpose(1, 2, 0).ravel(), rtol=1e-6)
    network = load_network(registered_cnn)
    expected = network.predict(np.asarray([pixels], dtype=np.float32)).probabilities[0]
    np.testing.assert_allclose(body["probabilities"], expected, rtol=1e-5)
    assert body["layers"][-1] == body["probabilities"]
    assert body["model"] == "small-cnn"


def test_mlp_activations_keep_their_shape_and_gain_the_contract_fields(
    client: Client, registered_model: RegisteredModel
) -> None:
    body = post_json(client, "/activations", {"pixels": digit_pixels()}).json()
    details = body["layer_details"]
    assert [(d["type"], d["shape"], d["weights_layer"]) for d in details] == [
        ("input", [784], None),
        ("dense", [16], 0),
        ("dense", [10], 1),
    ]


def test_conv_kernels(client: Client, registered_cnn: RegisteredModel) -> None:
    network = load_network(registered_cnn)
    body = client.get("/models/small-cnn/weights?layer=1").json()
    assert set(body) == {
        "model", "layer", "type", "shape", "weights", "biases", "image_shape", "kernel_shape",
    }  # fmt: skip
    assert body["type"] == "conv2d"
    assert body["shape"] == [6, 4, 3, 3]
    assert body["kernel_shape"] == [4, 3, 3]
    assert body["image_shape"] == [3, 3]
    kernels = network.parameter_layers[1].params[0]
    np.testing.assert_allclose(body["weights"], kernels.reshape(6, 36), rtol=1e-6)
    np.testing.assert_allclose(body["biases"], network.parameter_layers[1].params[1], rtol=1e-6)
    one = client.get("/models/small-cnn/weights?layer=0&neuron=3").json()
    assert set(one) == {
        "model", "layer", "neuron", "type", "weights", "bias", "image_shape", "kernel_shape",
    }  # fmt: skip
    assert (one["type"], one["kernel_shape"], one["image_shape"]) == ("conv2d", [1, 3, 3], [3, 3])
    np.testing.assert_allclose(one["weights"], network.parameter_layers[0].params[0][3].ravel())


def test_dense_layers_of_a_cnn(client: Client, registered_cnn: RegisteredModel) -> None:
    body = client.get("/models/small-cnn/weights?layer=2").json()
    assert (body["type"], body["shape"], body["image_shape"]) == ("dense", [12, 1014], None)
    assert "kernel_shape" not in body


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("layer=4", "layer", "layers 0..3"),
        ("layer=0&neuron=4", "neuron", "output channels 0..3"),
    ],
)
def test_bad_cnn_weights_query(
    client: Client, registered_cnn: RegisteredModel, query: str, field: str, message: str
) -> None:
    error = assert_error(client.get(f"/models/small-cnn/weights?{query}"), 400, "invalid_input")
    assert message in str(error["fields"][field])


def test_a_cnn_is_listed_with_its_architecture(
    client: Client, registered_cnn: RegisteredModel
) -> None:
    body = client.get("/models/small-cnn").json()
    assert body["architecture"] == "1x28x28-conv3x3x4-pool2-conv3x3x6same-dense12-dense10"
    assert body["sizes"] == [784, 4 * 26 * 26, 6 * 13 * 13, 12, 10]
