"""A robustness evaluation set: MNIST test digits re-rendered the way real drawings differ.

Digits drawn on a page or photographed differ from MNIST's in stroke width, sharpness, size and
position. Each variant below applies one such change (and ``mixed`` several at once) to all
10,000 MNIST *test* digits, deterministically (fixed parameters, or draws from a fixed seed), so
no training run ever sees these images — training only uses the training file, and augmentation
draws its own random parameters — and every model is scored on exactly the same pixels.

The transforms are ``nn_core.augmentation``'s primitives, at strengths beyond what the
augmenter draws (its shifts stop at 2 px, its dilation at one 2 × 2 step, its blur at σ 0.6).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nn_core.augmentation import SIDE, affine, blur, dilate, erode
from nn_core.sequential import Sequential
from nn_core.training_loop import TRAINING_BLAS_THREADS, limit_blas_threads

Array = NDArray[np.float32]
SEED = 20261201
"""Seeds the per-image draws of the shifted, rotated and mixed variants."""


def _warp(images: Array, *, rotation: float = 0.0, scale: float = 1.0, shift: float = 0.0) -> Array:
    n = len(images)
    rng = np.random.default_rng(SEED)
    signs = rng.choice([-1.0, 1.0], size=(n, 3))
    return affine(
        images,
        rotation=np.radians(rotation) * signs[:, 0],
        scale=np.full(n, scale),
        shear=np.zeros(n),
        shift=shift * signs[:, 1:],
    )


def _mixed(images: Array) -> Array:
    rng = np.random.default_rng(SEED + 1)
    n = len(images)
    out = affine(
        images,
        rotation=np.radians(rng.uniform(-15, 15, n)),
        scale=rng.uniform(0.7, 1.15, n),
        shear=rng.uniform(-0.2, 0.2, n),
        shift=rng.uniform(-3, 3, (n, 2)),
    )
    out = dilate(out, np.ones(n))
    return blur(out, 0.8)


VARIANTS: dict[str, Callable[[Array], Array]] = {
    "clean": lambda images: images,
    "thick strokes": lambda images: dilate(
        dilate(images, np.ones(len(images))), np.ones(len(images))
    ),
    "thin strokes": lambda images: erode(images, np.ones(len(images))),
    "blurred (σ 1.2 px)": lambda images: blur(images, 1.2),
    "small (70 %)": lambda images: _warp(images, scale=0.7),
    "large (120 %)": lambda images: _warp(images, scale=1.2),
    "shifted (±4 px)": lambda images: _warp(images, shift=4.0),
    "rotated (±20°)": lambda images: _warp(images, rotation=20.0),
    "mixed": _mixed,
}
"""Name → transform of a batch of (n, 28, 28) images."""


@dataclass(frozen=True)
class RobustnessSet:
    """One variant: images (n, 784) in [0, 1] and their labels."""

    name: str
    images: Array
    labels: NDArray[np.int64]


def build_robustness_sets(images: Array, labels: NDArray[np.int64]) -> list[RobustnessSet]:
    """Every variant of the given (test) digits, in :data:`VARIANTS` order."""
    squares = np.asarray(images, dtype=np.float32).reshape(-1, SIDE, SIDE)
    sets = []
    for name, transform in VARIANTS.items():
        changed = np.clip(transform(squares), 0.0, 1.0).astype(np.float32)
        sets.append(RobustnessSet(name, changed.reshape(len(changed), -1), labels))
    return sets


def accuracies(network: Sequential, sets: list[RobustnessSet]) -> dict[str, float]:
    """Percent correct of ``network`` on each set, by name, and the mean of the distorted sets."""
    # One BLAS thread, as in training: a recurrent network's per-step products are small.
    with limit_blas_threads(TRAINING_BLAS_THREADS):
        scores = {
            variant.name: 100.0
            * float(np.mean(network.predict(variant.images).digits == variant.labels))
            for variant in sets
        }
    distorted = [score for name, score in scores.items() if name != "clean"]
    scores["mean of the distorted sets"] = float(np.mean(distorted)) if distorted else 0.0
    return scores
