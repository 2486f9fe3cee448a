"""The data forms networks accept: ``(X, y)`` arrays, objects with images/labels, seed pairs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray


class LabelledImages(Protocol):
    """Anything with ``images`` (n, 784) and ``labels`` (n,), such as ``nn_core.mnist.Split``."""

    @property
    def images(self) -> NDArray[Any]:
        """The inputs, one per row."""
        ...

    @property
    def labels(self) -> NDArray[Any]:
        """The integer labels."""
        ...


Dataset = tuple[NDArray[Any], NDArray[Any]] | LabelledImages | Iterable[tuple[ArrayLike, Any]]
"""Data in any of the accepted forms: ``(X, y)`` arrays (X one sample per row, y integer labels or
one-hot rows), an object with ``images`` and ``labels``, or the original Hippo's list of
``(x, y)`` pairs (x a (784, 1) column; y a one-hot (10, 1) column or an integer label)."""


def split_dataset(data: Dataset, what: str) -> tuple[NDArray[Any], NDArray[Any]]:
    """Return (inputs, labels-or-targets) from any accepted data form, inputs one per row."""
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], np.ndarray):
        X, y = np.asarray(data[0]), np.asarray(data[1])
    elif hasattr(data, "images") and hasattr(data, "labels"):
        X, y = np.asarray(data.images), np.asarray(data.labels)
    else:
        pairs = list(data)
        if not pairs:
            raise ValueError(f"{what} is empty")
        X = np.stack([np.asarray(x).reshape(-1) for x, _ in pairs])
        targets = [np.asarray(t) for _, t in pairs]
        if targets[0].size > 1:
            y = np.stack([t.reshape(-1) for t in targets])
        else:
            y = np.array([t.reshape(()) for t in targets])
    if len(X) == 0:
        raise ValueError(f"{what} is empty")
    if X.ndim > 2:
        X = X.reshape(len(X), -1)
    if len(y) != len(X):
        raise ValueError(f"{what}: {len(X)} inputs but {len(y)} labels")
    return X, y
