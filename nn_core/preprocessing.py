"""Turn a drawn or photographed digit into an MNIST-like 28x28 input, in NumPy only.

The recipe is the one MNIST was made with: find the ink (either polarity), crop to its bounding
box, scale it to fit a 20x20 box keeping the aspect ratio with an antialiasing filter, and paste it
into a 28x28 field so that its centre of mass sits at the centre.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from nn_core.constants import IMAGE_SIDE

FIELD = IMAGE_SIDE
BOX = 20
CENTRE = FIELD / 2
"""MNIST digits have their centre of mass at (14, 14) in pixel indices (mean 13.996, 14.007)."""
MIN_CONTRAST = 8.0
"""Below this ink strength (on the 0..255 scale) an image counts as blank: paper grain, not ink."""
NOISE_FLOOR = 0.02
"""Ink weaker than this share of the strongest ink is background noise, kept out of the crop."""

FloatArray = npt.NDArray[np.float64]


def _background(gray: npt.NDArray[Any]) -> float:
    """The background level: the median of the border (robust to a stroke touching the edge)."""
    border = np.concatenate([gray[0, :], gray[-1, :], gray[:, 0], gray[:, -1]])
    return float(np.median(border))


def _weights(n_in: int, n_out: int) -> FloatArray:
    """Resampling matrix (n_out, n_in): area averaging to shrink, linear interpolation to enlarge.

    Area averaging (a box filter of the output pixel's footprint) is the antialiased way to shrink:
    every source pixel contributes by the share of it an output pixel covers.
    """
    scale = n_out / n_in
    if scale <= 1.0:
        edges_out = np.arange(n_out + 1, dtype=np.float64) / scale  # in source pixels
        lo = np.maximum(edges_out[:-1, None], np.arange(n_in)[None, :])
        hi = np.minimum(edges_out[1:, None], np.arange(1, n_in + 1)[None, :])
        weights = np.clip(hi - lo, 0.0, None)
    else:
        centres = (np.arange(n_out, dtype=np.float64) + 0.5) / scale - 0.5
        weights = np.clip(1.0 - np.abs(centres[:, None] - np.arange(n_in)[None, :]), 0.0, None)
    normalized: FloatArray = weights / weights.sum(axis=1, keepdims=True)
    return normalized


def _resize(image: npt.NDArray[np.float32], height: int, width: int) -> FloatArray:
    """Separable antialiased resize of a 2-D array (rows first: the big side shrinks early)."""
    rows = _weights(image.shape[0], height).astype(np.float32) @ image
    resized: FloatArray = rows.astype(np.float64) @ _weights(image.shape[1], width).T
    return resized


def _check(gray: npt.ArrayLike) -> npt.NDArray[Any]:
    array = np.asarray(gray)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D grayscale image, got an array of shape {array.shape}")
    if array.size == 0:
        raise ValueError("the image has no pixels")
    if array.dtype == np.bool_ or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    ):
        raise ValueError(f"expected numbers, got {array.dtype}")
    if array.dtype != np.uint8:
        if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
            raise ValueError("the image holds NaN or infinite values")
        if float(array.min()) < 0.0 or float(array.max()) > 255.0:
            raise ValueError("pixel values must be within 0..255")
    return array


def normalize_digit(gray: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Normalise one digit image the way MNIST was made.

    Args:
        gray: A 2-D grayscale array of any size, uint8 or float, values 0..255, ink dark on light
            or light on dark (detected from the border).

    Returns:
        float32 (784,) in 0..1, ink bright on black as in MNIST, the strongest ink at 1.0.

    Raises:
        ValueError: Not a 2-D array of numbers in 0..255, NaN/inf, or a blank image
            ("the image is blank: no ink found").
    """
    array = _check(gray)

    # Polarity: the ink is whatever departs most from the background, darker or brighter.
    background = _background(array)
    darker = background - float(array.min())
    brighter = float(array.max()) - background
    dark_ink = darker > brighter
    strongest = max(darker, brighter)
    if strongest < MIN_CONTRAST:
        raise ValueError("the image is blank: no ink found")

    # Crop to the ink's bounding box before any float copy (images may be 4096 x 4096).
    threshold = NOISE_FLOOR * strongest
    mask = array < background - threshold if dark_ink else array > background + threshold
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    ink = array[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.float32)
    if dark_ink:
        np.subtract(np.float32(background), ink, out=ink)
    else:
        ink -= np.float32(background)
    ink *= np.float32(1.0 / strongest)
    ink[ink < NOISE_FLOOR] = 0.0

    height, width = ink.shape
    scale = BOX / max(height, width)
    new_h = max(1, min(BOX, round(height * scale)))
    new_w = max(1, min(BOX, round(width * scale)))
    digit = np.clip(_resize(ink, new_h, new_w), 0.0, 1.0)

    # Integer shift that puts the centre of mass at the centre, clipped to keep the box inside.
    mass = float(digit.sum())
    cy = float((digit.sum(axis=1) * np.arange(new_h)).sum()) / mass
    cx = float((digit.sum(axis=0) * np.arange(new_w)).sum()) / mass
    top = int(np.clip(round(CENTRE - cy), 0, FIELD - new_h))
    left = int(np.clip(round(CENTRE - cx), 0, FIELD - new_w))

    field = np.zeros((FIELD, FIELD), dtype=np.float32)
    field[top : top + new_h, left : left + new_w] = digit
    return field.reshape(-1)


__all__ = ["normalize_digit"]
