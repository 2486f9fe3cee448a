"""Central differences, the reference every backward pass is checked against."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def central_differences(
    objective: Callable[[], float], array: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """∂objective/∂array, one entry at a time: (f(a + ε) − f(a − ε)) / 2ε (array restored)."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + eps
        plus = objective()
        array[index] = saved - eps
        minus = objective()
        array[index] = saved
        grad[index] = (plus - minus) / (2 * eps)
    return grad
