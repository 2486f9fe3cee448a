"""Backpropagation against numerical derivatives, for every activation, output and cost."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nn_core.network import ACTIVATIONS, COSTS, OUTPUTS, NeuralNetwork
from tests.nn_core.numerics import central_differences

SIZES = [6, 5, 4, 3]  # two hidden layers, so BP2 is exercised twice
COMBINATIONS = list(itertools.product(ACTIVATIONS, OUTPUTS, COSTS))


def small_problem(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((7, SIZES[0])), rng.integers(0, SIZES[-1], 7)


def numerical_gradients(
    network: NeuralNetwork, X: np.ndarray, y: np.ndarray, l2: float, eps: float = 1e-6
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Central differences of mean cost + (λ/2)Σw², one parameter at a time."""

    def objective() -> float:
        penalty = 0.5 * l2 * sum(float(np.sum(w * w)) for w in network.weights)
        return network.loss(X, y) + penalty

    result = []
    for group in (network.weights, network.biases):
        result.append([central_differences(objective, param, eps) for param in group])
    return result[0], result[1]


def assert_close(analytic: list[np.ndarray], numeric: list[np.ndarray]) -> None:
    for layer, (a, n) in enumerate(zip(analytic, numeric, strict=True)):
        assert a.shape == n.shape
        scale = max(float(np.abs(n).max()), 1e-8)
        assert float(np.abs(a - n).max()) / scale < 1e-6, f"layer {layer}"


@pytest.mark.parametrize(("activation", "output", "cost"), COMBINATIONS)
def test_backprop_matches_numerical_gradient(activation: str, output: str, cost: str) -> None:
    network = NeuralNetwork(SIZES, activation, output, cost, seed=3, dtype="float64")
    X, y = small_problem()
    gradients = network.gradients(X, y)
    numeric_w, numeric_b = numerical_gradients(network, X, y, l2=0.0)
    assert_close(gradients.weights, numeric_w)
    assert_close(gradients.biases, numeric_b)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_backprop_with_l2_matches_numerical_gradient(activation: str) -> None:
    network = NeuralNetwork(SIZES, activation, seed=4, dtype="float64")
    X, y = small_problem(1)
    gradients = network.gradients(X, y, l2=0.3)
    numeric_w, numeric_b = numerical_gradients(network, X, y, l2=0.3)
    assert_close(gradients.weights, numeric_w)
    assert_close(gradients.biases, numeric_b)


def test_gradient_is_of_the_mean_cost() -> None:
    # Repeating every sample leaves the mean, and so the gradient, unchanged.
    network = NeuralNetwork(SIZES, "tanh", seed=5, dtype="float64")
    X, y = small_problem(2)
    once = network.gradients(X, y)
    twice = network.gradients(np.vstack([X, X]), np.concatenate([y, y]))
    for a, b in zip(once.weights + once.biases, twice.weights + twice.biases, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_one_hot_targets_give_the_same_gradient_as_labels() -> None:
    network = NeuralNetwork(SIZES, "relu", seed=6, dtype="float64")
    X, y = small_problem(3)
    from_labels = network.gradients(X, y)
    from_targets = network.gradients(X, np.eye(SIZES[-1])[y])
    for a, b in zip(from_labels.weights, from_targets.weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_float32_gradients_stay_float32() -> None:
    network = NeuralNetwork(SIZES, "relu", seed=7)
    X, y = small_problem(4)
    gradients = network.gradients(X.astype(np.float32), y)
    assert all(g.dtype == np.float32 for g in gradients.weights + gradients.biases)
