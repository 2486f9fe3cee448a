"""Recurrent models through the API: predictions, every step's state and gates, matrices per gate.

The numbers are checked against the layers' equations written out here in NumPy from the served
weights (an LSTM, a GRU and a simple RNN), not against the code that produced them.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import pytest
from django.test import Client
from PIL import Image

from inference import response_serializers as s
from registry.models import RegisteredModel
from registry.services import load_network
from tests.api.helpers import assert_error, digit_pixels, post_json
from tests.api.test_schema_shapes import check
from tests.fixtures.networks import RegisterNetwork, recurrent_network

pytestmark = pytest.mark.django_db

STEPS = 28


def sigmoid(a: np.ndarray) -> np.ndarray:
    result: np.ndarray = 1.0 / (1.0 + np.exp(-a))
    return result


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    result: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return result


def per_gate(weights: dict[str, Any], name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rec = weights["recurrent"]
    return (
        np.asarray(rec["input_weights"][name]),
        np.asarray(rec["recurrent_weights"][name]),
        np.asarray(rec["biases"][name]),
    )


def activations(client: Client, model: str, pixels: list[float]) -> dict[str, Any]:
    response = post_json(client, "/activations", {"pixels": pixels, "model": model})
    assert response.status_code == 200, response.content[:500]
    body: dict[str, Any] = response.json()
    return body


def dense_output(client: Client, model: str, layer: int, states: np.ndarray) -> np.ndarray:
    dense = client.get(f"/models/{model}/weights?layer={layer}").json()
    return softmax(states @ np.asarray(dense["weights"]).T + np.asarray(dense["biases"]))


def test_predict_and_predict_image_answer_for_an_lstm(
    client: Client, registered_lstm: RegisteredModel
) -> None:
    pixels = digit_pixels()
    network = load_network(registered_lstm)
    expected = network.predict(np.asarray([pixels], dtype=np.float32)).probabilities[0]
    body = post_json(client, "/predict", {"pixels": pixels, "model": "small-lstm"}).json()
    np.testing.assert_allclose(body["probabilities"], expected, rtol=1e-5, atol=1e-7)
    assert body["predicted_digit"] == int(np.argmax(expected))
    batch = post_json(client, "/predict", {"batch": [pixels, pixels], "model": "small-lstm"})
    assert [p["predicted_digit"] for p in batch.json()["predictions"]] == [
        body["predicted_digit"]
    ] * 2
    ink = bytes(round(255 * (1 - v)) for v in pixels)
    buffer = io.BytesIO()
    Image.frombytes("L", (28, 28), ink).save(buffer, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    image = post_json(client, "/predict/image", {"image": url, "model": "small-lstm"})
    assert image.status_code == 200, image.content[:300]
    seen = np.asarray([image.json()["pixels"]], dtype=np.float32)
    np.testing.assert_allclose(
        image.json()["probabilities"], network.predict(seen).probabilities[0], rtol=1e-5, atol=1e-7
    )
    check(s.ImagePredictResponseSerializer, image.json())


def test_lstm_states_gates_and_step_predictions_follow_the_equations(
    client: Client, registered_lstm: RegisteredModel
) -> None:
    pixels = digit_pixels()
    body = activations(client, "small-lstm", pixels)
    check(s.ActivationsResponseSerializer, body)
    details = body["layer_details"]
    assert [(d["type"], d["shape"], d["weights_layer"]) for d in details] == [
        ("input", [784], None),
        ("sequence", [28, 28], None),
        ("lstm", [12], 0),
        ("dense", [10], 1),
    ]
    assert [("recurrent" in d) for d in details] == [False, False, True, False]
    rec = details[2]["recurrent"]
    assert (rec["steps"], rec["units"], rec["shape"]) == (STEPS, 12, [STEPS, 12])
    assert list(rec["gates"]) == ["i", "f", "g", "o"]
    for matrix in [rec["hidden"], rec["cell"], *rec["gates"].values()]:
        assert np.asarray(matrix).shape == (STEPS, 12)
    # The LSTM by hand from the served per-gate matrices.
    weights = client.get("/models/small-lstm/weights?layer=0").json()
    x = np.asarray(pixels).reshape(STEPS, 28)
    h, c = np.zeros(12), np.zeros(12)
    hidden: list[np.ndarray] = []
    cells: list[np.ndarray] = []
    gates: dict[str, list[np.ndarray]] = {k: [] for k in "ifgo"}
    for t in range(STEPS):
        a = {
            k: x[t] @ per_gate(weights, k)[0]
            + h @ per_gate(weights, k)[1]
            + per_gate(weights, k)[2]
            for k in "ifgo"
        }
        i, f, g, o = sigmoid(a["i"]), sigmoid(a["f"]), np.tanh(a["g"]), sigmoid(a["o"])
        c = f * c + i * g
        h = o * np.tanh(c)
        hidden.append(h)
        cells.append(c)
        for k, v in zip("ifgo", (i, f, g, o), strict=True):
            gates[k].append(v)
    np.testing.assert_allclose(rec["hidden"], hidden, atol=2e-5)
    np.testing.assert_allclose(rec["cell"], cells, atol=2e-5)
    for k in "ifgo":
        np.testing.assert_allclose(rec["gates"][k], gates[k], atol=2e-5)
    # The layer's own value is its last state.
    np.testing.assert_allclose(details[2]["values"], rec["hidden"][-1], rtol=1e-6)
    steps = body["step_predictions"]
    assert steps["layer"] == 2
    assert steps["shape"] == [STEPS, 10]
    expected = dense_output(client, "small-lstm", 1, np.asarray(hidden))
    np.testing.assert_allclose(steps["probabilities"], expected, atol=2e-5)
    assert steps["predicted_digits"] == expected.argmax(axis=1).tolist()
    np.testing.assert_allclose(steps["confidences"], expected.max(axis=1), atol=2e-5)
    # After the last row it is the model's answer.
    np.testing.assert_allclose(steps["probabilities"][-1], body["probabilities"], atol=1e-6)
    digits = steps["predicted_digits"]
    settled = steps["settled_step"]
    assert set(digits[settled:]) == {body["predicted_digit"]}
    assert settled == 0 or digits[settled - 1] != body["predicted_digit"]


def test_gru_and_simple_rnn_states(
    client: Client, registered_gru: RegisteredModel, registered_rnn: RegisteredModel
) -> None:
    pixels = digit_pixels()
    x = np.asarray(pixels).reshape(STEPS, 28)
    gru = activations(client, "small-gru", pixels)
    check(s.ActivationsResponseSerializer, gru)
    rec = gru["layer_details"][2]["recurrent"]
    assert list(rec["gates"]) == ["r", "z", "n"]
    assert rec["cell"] is None
    weights = client.get("/models/small-gru/weights?layer=0").json()
    b_hn = np.asarray(weights["recurrent"]["biases"]["hn"])
    h = np.zeros(10)
    hidden = []
    for t in range(STEPS):
        (wr, ur, br), (wz, uz, bz), (wn, un, bn) = (per_gate(weights, k) for k in "rzn")
        r = sigmoid(x[t] @ wr + h @ ur + br)
        z = sigmoid(x[t] @ wz + h @ uz + bz)
        n = np.tanh(x[t] @ wn + bn + r * (h @ un + b_hn))
        h = (1 - z) * n + z * h
        hidden.append(h)
    np.testing.assert_allclose(rec["hidden"], hidden, atol=2e-5)
    expected = dense_output(client, "small-gru", 1, np.asarray(hidden))
    np.testing.assert_allclose(gru["step_predictions"]["probabilities"], expected, atol=2e-5)

    rnn = activations(client, "small-rnn", pixels)
    check(s.ActivationsResponseSerializer, rnn)
    rec = rnn["layer_details"][2]["recurrent"]
    assert (rec["gates"], rec["cell"]) == ({}, None)
    weights = client.get("/models/small-rnn/weights?layer=0").json()
    assert weights["recurrent"]["gates"] == ["h"]
    w, u, b = per_gate(weights, "h")
    h = np.zeros(8)
    hidden = []
    for t in range(STEPS):
        h = np.tanh(x[t] @ w + h @ u + b)
        hidden.append(h)
    np.testing.assert_allclose(rec["hidden"], hidden, atol=2e-5)


def test_stacked_layers_feed_the_step_predictions_from_the_last_one(
    client: Client, register_network: RegisterNetwork
) -> None:
    register_network(recurrent_network("lstm8seq,gru6,dense10", 3), "stacked")
    body = activations(client, "stacked", digit_pixels())
    check(s.ActivationsResponseSerializer, body)
    details = body["layer_details"]
    assert [(d["type"], d["shape"]) for d in details[1:]] == [
        ("sequence", [28, 28]),
        ("lstm", [28, 8]),
        ("gru", [6]),
        ("dense", [10]),
    ]
    first, second = details[2]["recurrent"], details[3]["recurrent"]
    # The first layer returns every state: its values are its hidden states, row-major.
    np.testing.assert_allclose(details[2]["values"], np.ravel(first["hidden"]), rtol=1e-6)
    assert second["shape"] == [STEPS, 6]
    assert body["step_predictions"]["layer"] == 3
    expected = dense_output(client, "stacked", 2, np.asarray(second["hidden"]))
    np.testing.assert_allclose(body["step_predictions"]["probabilities"], expected, atol=2e-5)


def test_no_step_predictions_when_the_output_reads_every_state(
    client: Client, register_network: RegisterNetwork
) -> None:
    register_network(recurrent_network("rnn6seq,flatten,dense10", 2), "all-states")
    body = activations(client, "all-states", digit_pixels())
    check(s.ActivationsResponseSerializer, body)
    assert body["step_predictions"] is None
    assert body["layer_details"][2]["recurrent"]["shape"] == [STEPS, 6]


def test_mlp_and_cnn_answers_gain_no_recurrent_field(
    client: Client, registered_model: RegisteredModel, registered_cnn: RegisteredModel
) -> None:
    for model in ("small-net", "small-cnn"):
        body = activations(client, model, digit_pixels())
        assert set(body) == {
            "predicted_digit",
            "confidence",
            "probabilities",
            "model",
            "layers",
            "layer_details",
        }
        for detail in body["layer_details"]:
            assert "recurrent" not in detail
        weights = client.get(f"/models/{model}/weights?layer=0").json()
        assert "recurrent" not in weights


def test_weights_of_an_lstm_per_gate(client: Client, registered_lstm: RegisteredModel) -> None:
    body = client.get("/models/small-lstm/weights?layer=0").json()
    check(s.LayerWeightsResponseSerializer, body)
    layer = load_network(registered_lstm).parameter_layers[0]
    assert body["type"] == "lstm"
    assert body["shape"] == [48, 40] == list(np.shape(body["weights"]))
    np.testing.assert_allclose(body["weights"], layer.params[0].T, rtol=1e-6)
    rec = body["recurrent"]
    assert (rec["features"], rec["units"], rec["gates"]) == (28, 12, ["i", "f", "g", "o"])
    assert (rec["input_weight_shape"], rec["recurrent_weight_shape"]) == ([28, 12], [12, 12])
    for k, gate in enumerate("ifgo"):
        columns = slice(12 * k, 12 * (k + 1))
        np.testing.assert_allclose(rec["input_weights"][gate], layer.params[0][:28, columns])
        np.testing.assert_allclose(rec["recurrent_weights"][gate], layer.params[0][28:, columns])
        np.testing.assert_allclose(rec["biases"][gate], layer.params[1][columns])
    assert rec["biases"]["f"] == [1.0] * 12  # the forget gate starts by remembering
    neuron = client.get("/models/small-lstm/weights?layer=0&neuron=13").json()
    check(s.NeuronWeightsResponseSerializer, neuron)
    assert (neuron["gate"], neuron["unit"], neuron["bias"]) == ("f", 1, 1.0)
    np.testing.assert_allclose(neuron["weights"], layer.params[0][:, 13], rtol=1e-6)
    dense = client.get("/models/small-lstm/weights?layer=1").json()
    assert dense["shape"] == [10, 12]
    assert "recurrent" not in dense


def test_gru_weights_carry_the_recurrent_candidate_bias(
    client: Client, registered_gru: RegisteredModel
) -> None:
    body = client.get("/models/small-gru/weights?layer=0").json()
    check(s.LayerWeightsResponseSerializer, body)
    assert body["shape"] == [30, 38]
    assert len(body["biases"]) == 40
    assert list(body["recurrent"]["biases"]) == ["r", "z", "n", "hn"]


def test_bad_layer_and_neuron_of_a_recurrent_model(
    client: Client, registered_lstm: RegisteredModel
) -> None:
    error = assert_error(
        client.get("/models/small-lstm/weights?layer=0&neuron=48"), 400, "invalid_input"
    )
    assert "0..47" in error["fields"]["neuron"][0]
    error = assert_error(client.get("/models/small-lstm/weights?layer=2"), 400, "invalid_input")
    assert list(error["fields"]) == ["layer"]
    assert_error(client.get("/models/small-lstm/weights?layer=-1"), 400, "invalid_input")
