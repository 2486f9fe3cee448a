"""NeuralNetwork: construction, shapes, the original Hippo's API, predict, activations, weights."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core.activations import sigmoid, softmax
from nn_core.network import (
    ACTIVATIONS,
    COSTS,
    OPTIMIZERS,
    OUTPUTS,
    SCHEDULES,
    NeuralNetwork,
)


@pytest.fixture
def network() -> NeuralNetwork:
    return NeuralNetwork([784, 30, 10], seed=1)


@pytest.fixture
def batch() -> np.ndarray:
    return np.random.default_rng(0).random((5, 784), dtype=np.float32)


def test_constants() -> None:
    assert ACTIVATIONS == ("sigmoid", "relu", "leaky_relu", "tanh")
    assert OUTPUTS == ("softmax", "sigmoid")
    assert COSTS == ("cross_entropy", "quadratic")
    assert OPTIMIZERS == ("sgd", "momentum", "adam")
    assert set(SCHEDULES) >= {None, "constant", "step", "cosine"}


def test_defaults_and_parameter_shapes() -> None:
    network = NeuralNetwork([784, 100, 10])
    assert (network.activation, network.output, network.cost) == (
        "relu",
        "softmax",
        "cross_entropy",
    )
    assert network.sizes == [784, 100, 10]
    assert network.num_layers == 3
    assert network.dtype == np.float32
    assert [w.shape for w in network.weights] == [(100, 784), (10, 100)]
    assert [b.shape for b in network.biases] == [(100,), (10,)]
    assert all(p.dtype == np.float32 for p in network.weights + network.biases)


@pytest.mark.parametrize(
    ("activation", "expected_std"),
    [
        ("relu", np.sqrt(2 / 784)),
        ("leaky_relu", np.sqrt(2 / 784)),
        ("sigmoid", np.sqrt(2 / 884)),
        ("tanh", np.sqrt(2 / 884)),
    ],
)
def test_initial_weight_scale_suits_the_activation(activation: str, expected_std: float) -> None:
    network = NeuralNetwork([784, 100, 10], activation, seed=2)
    first = network.weights[0]
    assert abs(float(first.std()) / expected_std - 1) < 0.03
    assert abs(float(first.mean())) < 0.01 * expected_std * 10
    assert not network.biases[0].any()


def test_same_seed_same_parameters_other_seed_other_parameters() -> None:
    a, b, c = (NeuralNetwork([784, 30, 10], seed=s) for s in (7, 7, 8))
    assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights, strict=True))
    assert not np.array_equal(a.weights[0], c.weights[0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sizes": [784]}, "at least"),
        ({"sizes": [784, 0, 10]}, "positive"),
        ({"sizes": [784, 10], "activation": "swish"}, "unknown activation 'swish'"),
        ({"sizes": [784, 10], "output": "linear"}, "unknown output"),
        ({"sizes": [784, 10], "cost": "hinge"}, "unknown cost"),
        ({"sizes": [784, 10], "dtype": "float16"}, "dtype"),
    ],
)
def test_invalid_construction_is_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NeuralNetwork(**kwargs)


def test_feedforward_accepts_the_seed_column_a_vector_and_a_batch(
    network: NeuralNetwork, batch: np.ndarray
) -> None:
    rows = network.feedforward(batch)
    assert rows.shape == (5, 10)
    assert rows.dtype == np.float32
    column = network.feedforward(batch[0].reshape(784, 1))
    assert column.shape == (10, 1)
    vector = network.feedforward(batch[0])
    assert vector.shape == (10,)
    np.testing.assert_allclose(column[:, 0], rows[0], rtol=1e-6)
    np.testing.assert_allclose(vector, rows[0], rtol=1e-6)
    np.testing.assert_allclose(rows.sum(axis=1), 1.0, rtol=1e-5)


def test_feedforward_is_the_layer_equation(batch: np.ndarray) -> None:
    network = NeuralNetwork([784, 16, 10], "sigmoid", "sigmoid", "quadratic", seed=3)
    expected = batch.astype(np.float64)
    for w, b in zip(network.weights, network.biases, strict=True):
        expected = 1 / (1 + np.exp(-(expected @ w.T.astype(np.float64) + b)))
    np.testing.assert_allclose(network.feedforward(batch), expected, rtol=1e-5)


def test_feedforward_rejects_wrong_sizes(network: NeuralNetwork) -> None:
    with pytest.raises(ValueError, match="784"):
        network.feedforward(np.zeros((3, 100)))


@pytest.mark.parametrize("output", OUTPUTS)
def test_predict_gives_digits_and_probabilities(output: str, batch: np.ndarray) -> None:
    network = NeuralNetwork([784, 30, 10], output=output, seed=4)
    prediction = network.predict(batch)
    assert prediction.digits.shape == (5,)
    assert prediction.digits.dtype == np.int64
    assert prediction.probabilities.shape == (5, 10)
    assert prediction.probabilities.dtype == np.float32
    np.testing.assert_allclose(prediction.probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert np.array_equal(prediction.digits, network.feedforward(batch).argmax(axis=1))
    assert np.array_equal(prediction.digits, prediction.probabilities.argmax(axis=1))


def test_predict_one_sample(network: NeuralNetwork, batch: np.ndarray) -> None:
    one = network.predict(batch[0])
    assert one.digits.shape == (1,)
    assert one.digits[0] == network.predict(batch).digits[0]


@pytest.mark.parametrize("shape", [(784,), (784, 1), (1, 784)])
def test_activations_of_every_layer(shape: tuple[int, ...], batch: np.ndarray) -> None:
    network = NeuralNetwork([784, 20, 12, 10], "tanh", seed=5)
    layers = network.activations(batch[0].reshape(shape))
    assert [layer.index for layer in layers] == [0, 1, 2, 3]
    assert [layer.size for layer in layers] == [784, 20, 12, 10]
    assert [layer.activation for layer in layers] == ["input", "tanh", "tanh", "softmax"]
    assert layers[0].pre_activations is None
    np.testing.assert_array_equal(layers[0].values, batch[0])
    for below, layer, w, b in zip(
        layers[:-1], layers[1:], network.weights, network.biases, strict=True
    ):
        assert layer.pre_activations is not None
        assert layer.values.shape == layer.pre_activations.shape == (layer.size,)
        np.testing.assert_allclose(
            layer.pre_activations, w @ below.values + b, rtol=1e-4, atol=1e-6
        )
    hidden, output = layers[1].pre_activations, layers[3].pre_activations
    assert hidden is not None
    assert output is not None
    np.testing.assert_allclose(layers[1].values, np.tanh(hidden), rtol=1e-6)
    np.testing.assert_allclose(layers[3].values, softmax(output), rtol=1e-6)
    np.testing.assert_allclose(layers[3].values, network.feedforward(batch[0]), rtol=1e-6)


def test_activations_refuses_a_batch(network: NeuralNetwork, batch: np.ndarray) -> None:
    with pytest.raises(ValueError, match="one sample"):
        network.activations(batch)


def test_evaluate_counts_correct_answers_in_either_data_form(
    network: NeuralNetwork, batch: np.ndarray
) -> None:
    digits = network.predict(batch).digits
    labels = digits.copy()
    labels[:2] = (labels[:2] + 1) % 10
    seed_form = [(x.reshape(784, 1), int(label)) for x, label in zip(batch, labels, strict=True)]
    assert network.evaluate(seed_form) == 3
    assert network.evaluate((batch, labels)) == 3


def test_loss_is_the_mean_cross_entropy(network: NeuralNetwork, batch: np.ndarray) -> None:
    labels = np.arange(5)
    probabilities = network.feedforward(batch).astype(np.float64)
    expected = -np.log(probabilities[np.arange(5), labels]).mean()
    assert network.loss(batch, labels) == pytest.approx(expected, rel=1e-5)
    assert network.loss(batch, np.eye(10)[labels]) == pytest.approx(expected, rel=1e-5)


def test_quadratic_loss_of_a_sigmoid_network(batch: np.ndarray) -> None:
    network = NeuralNetwork([784, 10], "relu", "sigmoid", "quadratic", seed=6)
    targets = np.eye(10)[[1, 2, 3, 4, 5]]
    a = sigmoid(batch.astype(np.float64) @ network.weights[0].T.astype(np.float64))
    expected = 0.5 * ((a - targets) ** 2).sum(axis=1).mean()
    assert network.loss(batch, targets) == pytest.approx(expected, rel=1e-5)


def test_from_parameters_round_trip(network: NeuralNetwork, batch: np.ndarray) -> None:
    twin = NeuralNetwork.from_parameters(
        network.sizes, network.weights, network.biases, "relu", "softmax", "cross_entropy"
    )
    assert twin.dtype == np.float32
    np.testing.assert_array_equal(twin.feedforward(batch), network.feedforward(batch))
    network.weights[0][0, 0] += 1.0  # the twin holds its own copies
    assert twin.weights[0][0, 0] != network.weights[0][0, 0]


def test_from_parameters_keeps_float64() -> None:
    weights = [np.zeros((3, 4)), np.zeros((2, 3))]
    biases = [np.zeros(3), np.zeros(2)]
    assert NeuralNetwork.from_parameters([4, 3, 2], weights, biases).dtype == np.float64
    converted = NeuralNetwork.from_parameters([4, 3, 2], weights, biases, dtype="float32")
    assert converted.weights[0].dtype == np.float32


@pytest.mark.parametrize(
    ("weights", "biases", "message"),
    [
        ([np.zeros((3, 4))], [np.zeros(3)], "need 2 weight arrays"),
        ([np.zeros((3, 4)), np.zeros((2, 3))], [np.zeros(3)], "need 2 bias arrays"),
        ([np.zeros((4, 3)), np.zeros((2, 3))], [np.zeros(3), np.zeros(2)], r"layer 0: weights"),
        ([np.zeros((3, 4)), np.zeros((2, 4))], [np.zeros(3), np.zeros(2)], r"layer 1: weights"),
        ([np.zeros((3, 4)), np.zeros((2, 3))], [np.zeros(3), np.zeros(3)], r"layer 1: biases"),
        ([np.zeros((3, 4)), np.full((2, 3), np.nan)], [np.zeros(3), np.zeros(2)], "layer 1.*NaN"),
    ],
)
def test_from_parameters_validates_every_shape(weights: list, biases: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NeuralNetwork.from_parameters([4, 3, 2], weights, biases)


def test_copy_is_independent(network: NeuralNetwork, batch: np.ndarray) -> None:
    twin = network.copy()
    assert repr(twin) == repr(network)
    np.testing.assert_array_equal(twin.feedforward(batch), network.feedforward(batch))
    twin.weights[0] *= 0
    assert network.weights[0].any()
