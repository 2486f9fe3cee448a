"""Optimizers and learning-rate schedules: update rules and that each one learns."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nn_core.network import OPTIMIZERS, NeuralNetwork
from nn_core.optimizers import make_optimizer
from nn_core.schedules import learning_rate_at
from tests.nn_core.synthetic_data import prototypes_problem


def one_step(name: str, gradient: np.ndarray, steps: int = 1, rate: float = 0.1) -> np.ndarray:
    param = np.zeros_like(gradient)
    optimizer = make_optimizer(name, [param], momentum=0.5)
    for _ in range(steps):
        optimizer.step([param], [gradient.copy()], rate)
    return param


def test_sgd_steps_against_the_gradient() -> None:
    g = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    np.testing.assert_allclose(one_step("sgd", g), -0.1 * g)


def test_momentum_accumulates_velocity() -> None:
    g = np.array([1.0, -2.0], dtype=np.float32)
    # v₁ = −ηg, v₂ = μv₁ − ηg: after two steps p = −ηg(1 + (1 + μ)).
    np.testing.assert_allclose(one_step("momentum", g, steps=2), -0.1 * g * 2.5, rtol=1e-6)


def test_adam_first_step_is_the_learning_rate_times_the_sign() -> None:
    g = np.array([1e-3, -50.0, 2.0], dtype=np.float32)
    np.testing.assert_allclose(one_step("adam", g, rate=0.01), -0.01 * np.sign(g), rtol=1e-4)


def test_optimizer_state_stays_float32() -> None:
    param = np.zeros(4, dtype=np.float32)
    for name in OPTIMIZERS:
        make_optimizer(name, [param]).step([param], [np.ones(4, dtype=np.float32)], 0.1)
        assert param.dtype == np.float32


def test_unknown_optimizer_and_bad_coefficients() -> None:
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("rmsprop", [])
    with pytest.raises(ValueError, match="momentum"):
        make_optimizer("momentum", [], momentum=1.0)


@pytest.mark.parametrize(("optimizer", "rate"), [("sgd", 0.5), ("momentum", 0.05), ("adam", 0.003)])
def test_each_optimizer_reduces_the_loss(optimizer: str, rate: float) -> None:
    X, y = prototypes_problem(300, n_in=64, noise=0.8, seed=1)
    network = NeuralNetwork([64, 16, 10], "tanh", seed=2)
    before = network.loss(X, y)
    network.train((X, y), 5, 10, rate, optimizer=optimizer, verbose=False)
    assert network.loss(X, y) < 0.5 * before


def test_schedules() -> None:
    assert [learning_rate_at(None, 1.0, e, 4) for e in range(4)] == [1.0] * 4
    assert [learning_rate_at("constant", 1.0, e, 4) for e in range(4)] == [1.0] * 4
    assert [learning_rate_at("step", 1.0, e, 4) for e in range(4)] == pytest.approx(
        [1.0, 1.0, 0.1, 0.01]
    )
    cosine = [learning_rate_at("cosine", 1.0, e, 4) for e in range(4)]
    assert cosine[0] == 1.0
    assert cosine == sorted(cosine, reverse=True)
    assert cosine[2] == pytest.approx(0.5 * (1 + math.cos(math.pi / 2)))
    with pytest.raises(ValueError, match="unknown schedule"):
        learning_rate_at("exponential", 1.0, 0, 4)


@pytest.mark.parametrize("schedule", ["step", "cosine"])
def test_training_follows_the_schedule(schedule: str) -> None:
    X, y = prototypes_problem(40, n_in=16, seed=3)
    network = NeuralNetwork([16, 8, 10], seed=4)
    reports = network.train((X, y), 4, 10, 0.2, schedule=schedule, verbose=False)
    assert [r.learning_rate for r in reports] == [
        learning_rate_at(schedule, 0.2, e, 4) for e in range(4)
    ]
