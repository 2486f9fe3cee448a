"""Every layer's backward pass against numerical derivatives of its forward pass (float64).

For a layer f and a fixed random "upstream error" c, the scalar L(x, θ) = Σ c ⊙ f(x; θ) has
∂L/∂f = c, so ``backward(c)`` must return ∂L/∂x and fill ∂L/∂θ; central differences of L check
both. The convolution's forward pass is also checked against its definition, written as loops.
"""

from __future__ import annotations

import numpy as np
import pytest

from nn_core.layers import (
    ActivationLayer,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPool2D,
)
from tests.nn_core.numerics import central_differences


def built(layer: Layer, input_shape: tuple[int, ...], seed: int = 0) -> Layer:
    layer.build(input_shape, np.random.default_rng(seed), np.dtype(np.float64), "tanh")
    for p in layer.params:  # non-zero biases too, so that they matter
        p += np.random.default_rng(seed + 1).standard_normal(p.shape) * 0.1
    return layer


def assert_close(analytic: np.ndarray, numeric: np.ndarray, what: str) -> None:
    assert analytic.shape == numeric.shape, what
    scale = max(float(np.abs(numeric).max()), 1e-8)
    assert float(np.abs(analytic - numeric).max()) / scale < 1e-6, what


def check_layer(layer: Layer, x: np.ndarray, seed: int = 7) -> None:
    upstream = np.random.default_rng(seed).standard_normal((len(x), *layer.output_shape))

    def objective() -> float:
        return float(np.sum(upstream * layer.forward(x, training=False)))

    out = layer.forward(x, training=True)
    assert out.shape == upstream.shape
    dx = layer.backward(upstream.copy(), need_input_gradient=True)
    assert dx is not None
    assert_close(np.asarray(dx), central_differences(objective, x), f"{layer.kind}: ∂L/∂x")
    for index, param in enumerate(layer.params):
        assert_close(
            layer.grads[index], central_differences(objective, param), f"{layer.kind}: ∂L/∂θ{index}"
        )


def images(n: int, h: int, w: int, c: int, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, h, w, c))


def test_dense_gradients() -> None:
    layer = built(Dense(4), (6,))
    check_layer(layer, np.random.default_rng(1).standard_normal((5, 6)))


@pytest.mark.parametrize(
    ("filters", "kernel", "stride", "padding", "shape"),
    [
        (3, (3, 3), 1, 0, (7, 6, 2)),
        (2, (3, 3), 1, "same", (6, 6, 3)),
        (2, (3, 2), 2, 1, (7, 8, 2)),
        (4, (5, 5), 1, 2, (6, 6, 1)),
        (2, (2, 2), 3, 0, (8, 7, 2)),
    ],
)
def test_conv2d_gradients(
    filters: int,
    kernel: tuple[int, int],
    stride: int,
    padding: int | str,
    shape: tuple[int, int, int],
) -> None:
    layer = built(Conv2D(filters, kernel, stride, padding), shape)
    check_layer(layer, images(2, *shape))


def test_conv2d_forward_is_the_definition() -> None:
    layer = built(Conv2D(3, (3, 2), stride=2, padding=1), (7, 6, 2))
    assert isinstance(layer, Conv2D)
    x = images(2, 7, 6, 2)
    out = layer.forward(x)
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    expected = np.zeros_like(out)
    for n, i, j, f in np.ndindex(expected.shape):
        window = padded[n, 2 * i : 2 * i + 3, 2 * j : 2 * j + 2, :]  # (kh, kw, C)
        expected[n, i, j, f] = layer.bias[f] + np.sum(window * layer.weight[f].transpose(1, 2, 0))
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    assert out.shape == (2, 4, 4, 3)


def test_conv2d_without_input_gradient_still_fills_its_gradients() -> None:
    layer = built(Conv2D(2, 3), (5, 5, 1))
    x = images(3, 5, 5, 1)
    layer.forward(x, training=True)
    assert layer.backward(np.ones((3, 3, 3, 2)), need_input_gradient=False) is None
    np.testing.assert_allclose(layer.grads[1], [27.0, 27.0])


@pytest.mark.parametrize(("size", "shape"), [(2, (6, 4, 3)), (3, (7, 8, 2)), (2, (5, 5, 1))])
def test_maxpool_gradients(size: int, shape: tuple[int, int, int]) -> None:
    layer = built(MaxPool2D(size), shape)
    check_layer(layer, images(2, *shape))  # continuous random values: no ties


def test_maxpool_routes_a_tie_to_the_first_maximum_only() -> None:
    layer = built(MaxPool2D(2), (2, 2, 1))
    x = np.array([[[[1.0], [3.0]], [[3.0], [0.0]]]])
    assert layer.forward(x, training=True)[0, 0, 0, 0] == 3.0
    dx = layer.backward(np.array([[[[5.0]]]]))
    assert dx is not None
    np.testing.assert_array_equal(dx[0, :, :, 0], [[0.0, 5.0], [0.0, 0.0]])


def test_flatten_gradients() -> None:
    layer = built(Flatten(), (3, 2, 2))
    check_layer(layer, images(2, 3, 2, 2))
    assert layer.output_shape == (12,)


@pytest.mark.parametrize("function", ["sigmoid", "relu", "leaky_relu", "tanh"])
def test_activation_gradients(function: str) -> None:
    layer = built(ActivationLayer(function), (3, 4))
    x = images(2, 3, 4, 1)[..., 0] + 0.05  # keep ReLU's kink away from the samples
    check_layer(layer, x)


def test_dropout_is_inverted_and_its_gradient_follows_the_mask() -> None:
    layer = built(Dropout(0.25), (2000,))
    layer.set_rng(np.random.default_rng(0))
    x = np.ones((10, 2000))
    np.testing.assert_array_equal(layer.forward(x), x)  # inference: identity
    out = layer.forward(x, training=True)
    kept = out != 0
    assert set(np.unique(out)) == {0.0, 1.0 / 0.75}  # kept units scaled by 1/(1 − p)
    assert abs(1.0 - kept.mean() - 0.25) < 0.01  # about p dropped
    assert abs(out.mean() - 1.0) < 0.02  # E[a] = x
    delta = np.random.default_rng(1).standard_normal(x.shape)
    dx = layer.backward(delta)
    assert dx is not None
    np.testing.assert_allclose(dx, delta * kept / 0.75)


def test_layers_refuse_shapes_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="flatten"):
        built(Dense(3), (4, 4, 1))
    with pytest.raises(ValueError, match="does not fit"):
        built(Conv2D(2, 5), (3, 3, 1))
    with pytest.raises(ValueError, match="padding 'same'"):
        Conv2D(2, 4, padding="same")
    with pytest.raises(ValueError, match="rate"):
        Dropout(1.0)
