"""Gradient-norm clipping: the global norm, the cap, and an exploding recurrent network."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from nn_core.clipping import clip_gradient_norm, gradient_norm
from nn_core.hyperparameters import HyperparameterError, Hyperparameters
from nn_core.layers import SimpleRNN, parse_layers
from nn_core.sequential import Sequential
from tests.nn_core.synthetic_data import prototypes_problem


def gradients(seed: int = 0, scale: float = 1.0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) * scale for shape in [(3, 4), (4,), (2, 2, 3)]]


def test_the_norm_is_that_of_all_arrays_as_one_vector() -> None:
    grads = gradients()
    flat = np.concatenate([g.ravel() for g in grads])
    assert gradient_norm(grads) == pytest.approx(float(np.linalg.norm(flat)), rel=1e-12)


def test_large_gradients_are_scaled_to_the_cap_keeping_their_direction() -> None:
    grads = gradients(scale=10.0)
    original = [g.copy() for g in grads]
    before = clip_gradient_norm(grads, 1.0)
    assert before == pytest.approx(gradient_norm(original))
    assert gradient_norm(grads) == pytest.approx(1.0, rel=1e-9)
    for clipped, raw in zip(grads, original, strict=True):
        np.testing.assert_allclose(clipped, raw / before, rtol=1e-12)


def test_small_gradients_are_left_alone() -> None:
    grads = gradients(scale=0.01)
    original = [g.copy() for g in grads]
    norm = clip_gradient_norm(grads, 5.0)
    assert norm < 5.0
    for clipped, raw in zip(grads, original, strict=True):
        np.testing.assert_array_equal(clipped, raw)


def test_non_finite_gradients_are_reported_not_scaled() -> None:
    grads = gradients()
    grads[1][0] = np.nan
    assert math.isnan(clip_gradient_norm(grads, 1.0))
    assert np.isfinite(grads[0]).all()  # untouched: the divergence guard takes it from here


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan])
def test_the_cap_must_be_positive(bad: float) -> None:
    with pytest.raises(ValueError, match="max_norm"):
        clip_gradient_norm(gradients(), bad)


def test_clipping_tames_an_exploding_rnn() -> None:
    # A ReLU RNN whose recurrent matrix is 1.5 × I multiplies the error by 1.5 per step: after
    # 28 steps its gradient is ~10⁵ times too large; clipped, the step has the capped length.
    layer = SimpleRNN(8, nonlinearity="relu")
    layer.build((28, 4), np.random.default_rng(0), np.dtype(np.float32), "output")
    layer.recurrent_weight[...] *= 1.5
    x = np.abs(np.random.default_rng(1).standard_normal((16, 28, 4))).astype(np.float32)
    out = layer.forward(x, training=True)
    layer.backward(np.ones_like(out))
    norm = clip_gradient_norm(layer.grads, 1.0)
    assert norm > 1e4
    assert gradient_norm(layer.grads) == pytest.approx(1.0, rel=1e-5)
    assert all(g.dtype == np.float32 for g in layer.grads)


# ----------------------------------------------------------------------------------------------
# In the training loop (Hyperparameters.clip_norm)
# ----------------------------------------------------------------------------------------------


def one_step(clip_norm: float | None, weight_scale: float = 1.0) -> tuple[Any, ...]:
    """One SGD step (η = 1, the whole set as one mini-batch) of a small LSTM network.

    Returns the step's change of every parameter, the gradient before the step (what
    ``layer_gradients`` gives, computed from the same starting point) and the epoch's report.
    """
    X, y = prototypes_problem(32, n_in=64, seed=3)
    network = Sequential(parse_layers("lstm16,dense10"), [64], seed=5)
    for layer in network.parameter_layers:
        layer.params[0][...] *= weight_scale
    gradient = [g for grads in network.layer_gradients(X, y) for g in grads]
    before = [p.copy() for p in network.parameters()]
    options = Hyperparameters(
        epochs=1,
        mini_batch_size=len(X),
        learning_rate=1.0,
        optimizer="sgd",
        l2=0.0,
        schedule="constant",
        clip_norm=clip_norm,
    )
    (report,) = network.fit((X, y), options)
    steps = [p - b for p, b in zip(network.parameters(), before, strict=True)]
    return steps, gradient, report, network


def test_training_clips_large_gradients_to_the_norm_keeping_their_direction() -> None:
    # Weights scaled up 4× make the network's gradient long; the step must have length τ.
    _, raw, _, _ = one_step(None, weight_scale=4.0)
    raw_norm = gradient_norm(raw)
    tau = raw_norm / 10
    steps, gradient, report, _ = one_step(tau, weight_scale=4.0)
    assert gradient_norm(steps) == pytest.approx(tau, rel=1e-4)
    for step, g in zip(steps, gradient, strict=True):
        np.testing.assert_allclose(step, -g * (tau / raw_norm), rtol=1e-3, atol=1e-6)
    assert report.gradient_norm == pytest.approx(raw_norm, rel=1e-5)
    assert report.clipped_fraction == 1.0


def test_gradients_under_the_norm_are_stepped_unchanged() -> None:
    steps, gradient, report, _ = one_step(1e6)
    for step, g in zip(steps, gradient, strict=True):
        np.testing.assert_allclose(step, -g, rtol=1e-4, atol=1e-7)
    assert report.clipped_fraction == 0.0
    assert report.gradient_norm == pytest.approx(gradient_norm(gradient), rel=1e-5)


def test_no_clip_norm_is_bit_identical_to_a_norm_never_reached_and_reports_nothing() -> None:
    X, y = prototypes_problem(96, n_in=64, seed=1)
    results = []
    for clip_norm in (None, 1e9):
        network = Sequential(parse_layers("lstm8,dense10"), [64], seed=2)
        options = Hyperparameters(
            epochs=2, mini_batch_size=16, optimizer="adam", learning_rate=0.01, clip_norm=clip_norm
        )
        reports = network.fit((X, y), options)
        results.append((network.parameters(), reports))
    (plain, plain_reports), (capped, capped_reports) = results
    for a, b in zip(plain, capped, strict=True):
        np.testing.assert_array_equal(a, b)
    assert [r.train_loss for r in plain_reports] == [r.train_loss for r in capped_reports]
    assert all(r.gradient_norm is None and r.clipped_fraction is None for r in plain_reports)
    assert all(r.gradient_norm is not None for r in capped_reports)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan, "1", True])
def test_a_clip_norm_must_be_a_positive_number(bad: Any) -> None:
    with pytest.raises(HyperparameterError, match="must be a positive number") as caught:
        Hyperparameters(clip_norm=bad).validate()
    assert caught.value.field == "clip_norm"


def test_clip_norm_is_serialised() -> None:
    options = Hyperparameters(clip_norm=2.5)
    assert json.loads(options.to_json())["clip_norm"] == 2.5
    assert Hyperparameters.from_json(options.to_json()) == options
    assert Hyperparameters.from_dict({}).clip_norm is None  # older metadata: no clipping
