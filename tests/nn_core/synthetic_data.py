"""A small, separable, MNIST-shaped classification problem for fast training tests."""

from __future__ import annotations

import numpy as np


def prototypes_problem(
    n: int, n_in: int = 784, classes: int = 10, noise: float = 0.35, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """n samples in [0, 1]^n_in: one random prototype image per class plus noise.

    The class prototypes come from a fixed generator, so training and test sets drawn with
    different seeds are the same problem.
    """
    prototypes = np.random.default_rng(12345).random((classes, n_in)) < 0.2
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    X = prototypes[labels] * 0.8 + rng.random((n, n_in)) * noise
    return np.clip(X, 0, 1).astype(np.float32), labels.astype(np.int64)
