"""normalize_digit: the MNIST recipe on real digits, both polarities, odd shapes, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core.mnist import MnistSplits
from nn_core.preprocessing import normalize_digit


def _centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    grid = image.reshape(28, 28)
    total = grid.sum()
    return (
        float((grid.sum(axis=1) * np.arange(28)).sum() / total),
        float((grid.sum(axis=0) * np.arange(28)).sum() / total),
    )


def _bbox(image: np.ndarray) -> tuple[int, int]:
    grid = image.reshape(28, 28) > 0
    rows, cols = np.flatnonzero(grid.any(axis=1)), np.flatnonzero(grid.any(axis=0))
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def _rendered(digit: np.ndarray, dark_on_light: bool) -> np.ndarray:
    """An MNIST digit as a 280x280 uint8 drawing (10x nearest upscale, shifted off-centre)."""
    big = np.kron(np.round(digit.reshape(28, 28) * 255), np.ones((10, 10)))
    canvas = np.zeros((320, 300))
    canvas[30:310, 5:285] = big
    canvas = canvas.astype(np.uint8)
    return 255 - canvas if dark_on_light else canvas


@pytest.mark.mnist
def test_real_digits_drawn_large_come_back_close_to_the_originals(
    mnist_splits: MnistSplits,
) -> None:
    originals = mnist_splits.test.images[:100]
    errors, correlations = [], []
    for original in originals:
        result = normalize_digit(_rendered(original, dark_on_light=True))
        errors.append(float(np.abs(result - original).mean()))
        correlations.append(float(np.corrcoef(result, original)[0, 1]))
    assert float(np.median(errors)) < 0.01
    assert float(np.mean(errors)) < 0.03
    assert float(np.median(correlations)) > 0.99
    assert float(np.mean(np.array(correlations) > 0.8)) >= 0.97


@pytest.mark.mnist
def test_either_polarity_gives_the_same_result(mnist_splits: MnistSplits) -> None:
    for original in mnist_splits.test.images[:20]:
        dark = normalize_digit(_rendered(original, dark_on_light=True))
        light = normalize_digit(_rendered(original, dark_on_light=False))
        assert np.array_equal(dark, light)


def test_output_is_mnist_shaped_and_centred() -> None:
    image = np.full((200, 150), 255, dtype=np.uint8)
    image[20:120, 10:60] = 0  # a dark block in a corner
    result = normalize_digit(image)
    assert result.shape == (784,)
    assert result.dtype == np.float32
    assert float(result.min()) == 0.0
    assert float(result.max()) == pytest.approx(1.0)
    assert _bbox(result) == (20, 10)  # 100x50 fitted into 20x20 keeping 2:1
    cy, cx = _centre_of_mass(result)
    assert abs(cy - 14) <= 0.5
    assert abs(cx - 14) <= 0.5


def test_a_tall_thin_one_keeps_its_aspect_ratio() -> None:
    image = np.zeros((400, 400))
    image[50:350, 190:210] = 255.0  # 300 x 20
    result = normalize_digit(image)
    height, width = _bbox(result)
    assert height == 20
    assert width in (1, 2)


def test_a_tiny_stroke_is_enlarged_keeping_its_aspect_ratio() -> None:
    image = np.full((100, 100), 255.0)
    image[40:50, 48:50] = 0.0  # 10 x 2, drawn dark
    result = normalize_digit(image)
    assert _bbox(result) == (20, 4)
    assert float(result.max()) == pytest.approx(1.0)


def test_a_horizontal_stroke_touching_the_border_still_works() -> None:
    image = np.zeros((60, 80), dtype=np.uint8)
    image[28:32, :] = 200  # crosses the whole image: the border median is still background
    result = normalize_digit(image)
    height, width = _bbox(result)
    assert width == 20
    assert height in (1, 2)


def test_float_and_uint8_input_agree() -> None:
    image = np.zeros((56, 56), dtype=np.uint8)
    image[10:40, 20:30] = 255
    image[12:20, 30:45] = 128
    assert np.array_equal(normalize_digit(image), normalize_digit(image.astype(np.float64)))


@pytest.mark.parametrize(
    "image",
    [
        pytest.param(np.full((50, 50), 255, dtype=np.uint8), id="white"),
        pytest.param(np.zeros((50, 50), dtype=np.uint8), id="black"),
        pytest.param(np.full((30, 40), 128.0), id="gray"),
        pytest.param(
            np.random.default_rng(0).integers(250, 256, (50, 50)).astype(np.uint8), id="faint-noise"
        ),
    ],
)
def test_a_blank_image_is_refused(image: np.ndarray) -> None:
    with pytest.raises(ValueError, match="the image is blank: no ink found"):
        normalize_digit(image)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        pytest.param(np.zeros((28, 28, 3)), "2-D", id="rgb"),
        pytest.param(np.zeros(784), "2-D", id="flat"),
        pytest.param(np.zeros((0, 5)), "no pixels", id="empty"),
        pytest.param(np.array([[0.0, np.nan]]), "NaN", id="nan"),
        pytest.param(np.array([[0.0, 300.0]]), "0..255", id="too-bright"),
        pytest.param(np.array([[0.0, -1.0]]), "0..255", id="negative"),
        pytest.param(np.array([["a", "b"]]), "numbers", id="strings"),
    ],
)
def test_bad_input_is_refused(image: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalize_digit(image)
