"""Whole networks of layers: gradients, determinism, specs, activations for visualizations."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core.augmentation import Augmenter
from nn_core.layers import mlp_specs, parse_layers, short_form
from nn_core.network import NeuralNetwork
from nn_core.sequential import Sequential
from tests.nn_core.numerics import central_differences
from tests.nn_core.synthetic_data import prototypes_problem

SMALL_CNN = parse_layers("conv3x3x3same,pool2,conv3x3x4,dense5,dense3", "tanh")


def small_cnn(seed: int = 0, dtype: str = "float64", specs: list | None = None) -> Sequential:
    return Sequential(specs or SMALL_CNN, [2, 8, 8], seed=seed, dtype=dtype)


def numerical_gradients(
    network: Sequential, X: np.ndarray, y: np.ndarray, l2: float
) -> list[list[np.ndarray]]:
    def objective() -> float:
        penalty = sum(
            float(np.sum(layer.params[k] ** 2)) for layer in network.layers for k in layer.decayed
        )
        return network.loss(X, y) + 0.5 * l2 * penalty

    result = []
    for layer in network.parameter_layers:
        grads = [central_differences(objective, param) for param in layer.params]
        result.append(grads)
    return result


@pytest.mark.parametrize(
    ("output", "cost", "l2"),
    [
        ("softmax", "cross_entropy", 0.0),
        ("softmax", "cross_entropy", 0.2),
        ("sigmoid", "quadratic", 0.0),
    ],
)
def test_cnn_backprop_matches_numerical_gradient(output: str, cost: str, l2: float) -> None:
    network = Sequential(SMALL_CNN, [2, 8, 8], output, cost, seed=2, dtype="float64")
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((4, 128)), rng.integers(0, 3, 4)
    analytic = network.layer_gradients(X, y, l2)
    numeric = numerical_gradients(network, X, y, l2)
    assert len(analytic) == 4
    for layer, (a_layer, n_layer) in enumerate(zip(analytic, numeric, strict=True)):
        for a, n in zip(a_layer, n_layer, strict=True):
            scale = max(float(np.abs(n).max()), 1e-8)
            assert float(np.abs(a - n).max()) / scale < 1e-5, f"layer {layer}"


def test_strided_padded_cnn_backprop_matches_numerical_gradient() -> None:
    specs = parse_layers("conv3x3x2s2p1,relu,conv2x2x3,flatten,dense3", "sigmoid")
    network = Sequential(specs, [1, 7, 7], seed=4, dtype="float64")
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((3, 49)) + 0.1, rng.integers(0, 3, 3)
    analytic = network.layer_gradients(X, y)
    for a_layer, n_layer in zip(analytic, numerical_gradients(network, X, y, 0.0), strict=True):
        for a, n in zip(a_layer, n_layer, strict=True):
            assert float(np.abs(a - n).max()) / max(float(np.abs(n).max()), 1e-8) < 1e-5


def test_parse_layers_inserts_activations_and_flatten() -> None:
    specs = parse_layers("conv5x5x32,pool2,conv5x5x64,pool2,dense128,dropout0.5,dense10")
    assert [s["type"] for s in specs] == [
        "conv2d", "activation", "maxpool2d", "conv2d", "activation", "maxpool2d",
        "flatten", "dense", "activation", "dropout", "dense",
    ]  # fmt: skip
    assert specs[0] == {
        "type": "conv2d",
        "filters": 32,
        "kernel": [5, 5],
        "stride": 1,
        "padding": 0,
    }
    assert specs[9] == {"type": "dropout", "rate": 0.5}
    assert short_form(specs) == "conv5x5x32-pool2-conv5x5x64-pool2-dense128-dropout0.5-dense10"
    assert parse_layers("dense100,dense10", "tanh") == mlp_specs([784, 100, 10], "tanh")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("conv5x5", "cannot read layer"),
        ("dense10,pool2", "last layer must be a dense"),
        ("", "empty"),
    ],
)
def test_parse_layers_refuses_bad_text(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_layers(text)


def test_architectures_that_do_not_fit_are_refused_naming_the_layer() -> None:
    with pytest.raises(ValueError, match=r"layer 4 \(conv2d\)"):
        Sequential(parse_layers("conv5x5x4,conv5x5x4,conv5x5x4,dense10"), [1, 12, 12])
    with pytest.raises(ValueError, match="unknown layer type"):
        Sequential([{"type": "transformer"}], [784])


def test_same_seed_same_training_with_dropout_and_augmentation() -> None:
    X, y = prototypes_problem(300, n_in=784, seed=1)
    specs = parse_layers("conv3x3x4,pool2,dense16,dropout0.3,dense10")
    runs = []
    for _ in range(2):
        network = Sequential(specs, [1, 28, 28], seed=11)
        network.train((X, y), 2, 32, 0.002, optimizer="adam", augment=Augmenter(), verbose=False)
        runs.append(network.parameters())
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)
    other = Sequential(specs, [1, 28, 28], seed=12)
    assert not np.array_equal(other.parameters()[0], runs[0][0])


def test_a_small_cnn_learns() -> None:
    X, y = prototypes_problem(600, seed=1)
    X_test, y_test = prototypes_problem(300, seed=2)
    network = Sequential(parse_layers("conv3x3x4,pool2,dense32,dense10"), [1, 28, 28], seed=1)
    reports = network.train(
        (X, y), 3, 32, 0.003, optimizer="adam", validation_data=(X_test, y_test), verbose=False
    )
    assert reports[-1].validation_accuracy is not None
    assert reports[-1].validation_accuracy > 95.0
    assert network.evaluate((X_test, y_test)) > 285


def test_activations_report_feature_maps_channels_first() -> None:
    network = small_cnn(seed=3, dtype="float32")
    x = np.random.default_rng(0).random(128).astype(np.float32)
    layers = network.activations(x)
    assert [(a.kind, a.shape, a.weights_layer) for a in layers] == [
        ("input", (2, 8, 8), None),
        ("conv2d", (3, 8, 8), 0),
        ("maxpool2d", (3, 4, 4), None),
        ("conv2d", (4, 2, 2), 1),
        ("flatten", (16,), None),
        ("dense", (5,), 2),
        ("dense", (3,), 3),
    ]
    assert [a.activation for a in layers] == [
        "input", "tanh", "max", "tanh", "identity", "tanh", "softmax",
    ]  # fmt: skip
    assert [a.index for a in layers] == list(range(7))
    for a in layers:
        assert a.values.shape == (a.size,) == (int(np.prod(a.shape)),)
    # Channels first: map c of the first conv is Σ over its kernel, computed here directly.
    conv = network.layers[0]
    image = x.reshape(8, 8, 2)
    padded = np.pad(image, ((1, 1), (1, 1), (0, 0)))
    z = (
        sum(
            padded[u : u + 8, v : v + 8, :] @ conv.params[0][1, :, u, v]
            for u in range(3)
            for v in range(3)
        )
        + conv.params[1][1]
    )
    pre = layers[1].pre_activations
    assert pre is not None
    np.testing.assert_allclose(pre.reshape(3, 8, 8)[1], z, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layers[-1].values, network.feedforward(x), rtol=1e-6)


def test_the_mlp_factory_is_a_network_of_layers() -> None:
    network = NeuralNetwork([784, 30, 10], "tanh", seed=5)
    assert network.specs() == mlp_specs([784, 30, 10], "tanh")
    twin = Sequential(network.specs(), [784], seed=5)
    for a, b in zip(network.parameters(), twin.parameters(), strict=True):
        np.testing.assert_array_equal(a, b)  # same draws, same order
    assert network.weights[0] is network.layers[0].params[0]


def test_copy_is_independent() -> None:
    network = small_cnn(seed=3)
    twin = network.copy()
    x = np.random.default_rng(0).random((2, 128))
    np.testing.assert_array_equal(network.feedforward(x), twin.feedforward(x))
    twin.parameters()[0][...] = 0
    assert network.parameters()[0].any()
