"""Gradient-norm clipping: the global norm, the cap, and an exploding recurrent network."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nn_core.clipping import clip_gradient_norm, gradient_norm
from nn_core.layers import SimpleRNN


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
