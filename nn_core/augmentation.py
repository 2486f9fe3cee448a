"""On-the-fly data augmentation for digit images, vectorised over the batch and seeded.

Each training mini-batch can be replaced by randomly distorted copies of itself, so that the
network never sees exactly the same image twice and learns what does not change a digit: a
small shift, rotation, scale or shear, a thicker or thinner stroke, a little blur. Every
transform works on the whole batch at once (one gather for all the affine warps, shifted slices
for the filters) and draws its parameters from the generator it is given — the network's, so a
training seed fixes the augmentations too.

The primitives (:func:`affine`, :func:`dilate`, :func:`erode`, :func:`blur`) take per-image
parameters and are deterministic; :mod:`training.robustness` uses them to build a fixed
evaluation set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nn_core.arrays import Array
from nn_core.constants import IMAGE_SIDE

SIDE = IMAGE_SIDE
"""Images are SIDE × SIDE pixels, one per row of SIDE² values in [0, 1]."""


def affine(
    images: Array,
    rotation: Array,
    scale: Array,
    shear: Array,
    shift: Array,
) -> Array:
    """Warp each image by its own rotation, scale, shear and shift (bilinear, zero outside).

    The output pixel at p (relative to the image centre c) takes the input at
    M⁻¹(p − c − t) + c, with M = R(θ) · S(s) · H(h) (rotation, isotropic scale, horizontal
    shear) and t the shift: every image moves by its own M and t, all in one gather.

    Args:
        images: (n, side, side).
        rotation: θ per image, radians, shape (n,).
        scale: s per image (> 1 enlarges the digit).
        shear: h per image (x ← x + h·y).
        shift: (n, 2) shifts (dy, dx) in pixels.

    Returns:
        The warped images, (n, side, side), same dtype.
    """
    n, side, _ = images.shape
    cos, sin = np.cos(rotation), np.sin(rotation)
    # M⁻¹ = H⁻¹ S⁻¹ R⁻¹ with R⁻¹ = [[cos, sin], [−sin, cos]] in (y, x) coordinates.
    inv = np.empty((n, 2, 2))
    inv[:, 0, 0], inv[:, 0, 1] = cos, -sin
    inv[:, 1, 0], inv[:, 1, 1] = sin, cos
    inv /= scale[:, None, None]
    unshear = np.zeros((n, 2, 2))
    unshear[:, 0, 0] = unshear[:, 1, 1] = 1.0
    unshear[:, 1, 0] = -shear
    inv = unshear @ inv
    centre = (side - 1) / 2.0
    grid = np.stack(np.meshgrid(np.arange(side), np.arange(side), indexing="ij"), axis=-1)
    points = grid.reshape(-1, 2).astype(np.float32) - centre  # (side², 2) as (y, x)
    # (n, side², 2): source coordinates of every output pixel of every image.
    py = points[None, :, 0] - shift[:, 0:1].astype(np.float32)
    px = points[None, :, 1] - shift[:, 1:2].astype(np.float32)
    m = inv.astype(np.float32)[:, :, :, None]  # (n, 2, 2, 1), broadcast over the pixels
    y = m[:, 0, 0] * py + m[:, 0, 1] * px + centre
    x = m[:, 1, 0] * py + m[:, 1, 1] * px + centre
    y0, x0 = np.floor(y), np.floor(x)
    fy, fx = (y - y0).astype(images.dtype), (x - x0).astype(images.dtype)
    # A zero border of 2 pixels: clipped coordinates land on it, so outside reads as 0.
    stride = side + 4
    padded = np.zeros((n, stride, stride), dtype=images.dtype)
    padded[:, 2:-2, 2:-2] = images
    yi = np.clip(y0, -2, side).astype(np.int64) + 2
    xi = np.clip(x0, -2, side).astype(np.int64) + 2
    base = (np.arange(n)[:, None] * stride * stride + yi * stride + xi).ravel()
    flat = padded.ravel()
    top_left, top_right = flat[base], flat[base + 1]
    bottom_left, bottom_right = flat[base + stride], flat[base + stride + 1]
    fy, fx = fy.ravel(), fx.ravel()
    top = top_left + fx * (top_right - top_left)
    bottom = bottom_left + fx * (bottom_right - bottom_left)
    out: Array = (top + fy * (bottom - top)).reshape(n, side, side)
    return out.astype(images.dtype, copy=False)


def _neighbourhood(images: Array, reduce: np.ufunc) -> Array:
    """The max (or min) of each pixel and its right, lower and lower-right neighbours (2 × 2)."""
    fill = 0.0 if reduce is np.maximum else 1.0
    padded = np.full(
        (images.shape[0], images.shape[1] + 1, images.shape[2] + 1), fill, dtype=images.dtype
    )
    padded[:, :-1, :-1] = images
    out = images.copy()
    for dy, dx in ((0, 1), (1, 0), (1, 1)):
        reduce(out, padded[:, dy : dy + images.shape[1], dx : dx + images.shape[2]], out=out)
    return out


def dilate(images: Array, amount: Array) -> Array:
    """Thicker strokes: blend each image with its 2 × 2 grey dilation, weight ``amount`` (n,)."""
    grown = _neighbourhood(images, np.maximum)
    weight = amount.astype(images.dtype)[:, None, None]
    return images + weight * (grown - images)


def erode(images: Array, amount: Array) -> Array:
    """Thinner strokes: blend each image with its 2 × 2 grey erosion, weight ``amount`` (n,)."""
    shrunk = _neighbourhood(images, np.minimum)
    weight = amount.astype(images.dtype)[:, None, None]
    return images + weight * (shrunk - images)


def blur(images: Array, sigma: float) -> Array:
    """Gaussian blur with standard deviation ``sigma`` pixels (separable, zero outside)."""
    radius = max(1, math.ceil(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps = (taps / taps.sum()).astype(images.dtype)
    n, h, w = images.shape
    padded = np.zeros((n, h + 2 * radius, w + 2 * radius), dtype=images.dtype)
    padded[:, radius:-radius, radius:-radius] = images
    rows = sum(taps[k] * padded[:, :, k : k + w] for k in range(len(taps)))
    out: Array = sum(taps[k] * rows[:, k : k + h, :] for k in range(len(taps)))
    return out


@dataclass(frozen=True)
class Augmenter:
    """Random small distortions of a batch of rows, drawn from the generator it is called with.

    Attributes:
        shift: Largest shift in pixels, each direction (uniform).
        rotation: Largest rotation in degrees (uniform ±).
        scale: Largest relative change of size (uniform 1 ± scale).
        shear: Largest horizontal shear factor (uniform ±).
        thickness: Probability of changing the stroke width (half thicker, half thinner, by a
            random fraction of a 2 × 2 dilation / erosion).
        blur: Probability of a slight blur (σ = 0.6 px, blended by a random weight).
    """

    shift: float = 2.0
    rotation: float = 12.0
    scale: float = 0.1
    shear: float = 0.15
    thickness: float = 0.3
    blur: float = 0.2

    def __call__(self, rows: Array, rng: np.random.Generator) -> Array:
        """Distorted copies of ``rows`` (n, 784), same shape and dtype, values in [0, 1]."""
        n = len(rows)
        images = rows.reshape(n, SIDE, SIDE)
        out = affine(
            images,
            rotation=np.radians(rng.uniform(-self.rotation, self.rotation, n)),
            scale=1.0 + rng.uniform(-self.scale, self.scale, n),
            shear=rng.uniform(-self.shear, self.shear, n),
            shift=rng.uniform(-self.shift, self.shift, (n, 2)),
        )
        stroke = rng.random(n)
        amount = rng.random(n)
        blurred = rng.random(n)
        blur_weight = rng.random(n)
        # Each filter runs on the images it was drawn for only.
        thicker = np.flatnonzero(stroke < self.thickness / 2)
        thinner = np.flatnonzero((stroke >= self.thickness / 2) & (stroke < self.thickness))
        if len(thicker):
            out[thicker] = dilate(out[thicker], amount[thicker])
        if len(thinner):
            out[thinner] = erode(out[thinner], amount[thinner])
        soft = np.flatnonzero(blurred < self.blur)
        if len(soft):
            weight = blur_weight[soft].astype(out.dtype)[:, None, None]
            out[soft] += weight * (blur(out[soft], 0.6) - out[soft])
        np.clip(out, 0.0, 1.0, out=out)
        return out.reshape(n, -1).astype(rows.dtype, copy=False)
