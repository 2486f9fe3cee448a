"""Checks on what callers hand a network: dtypes, output and cost names, inputs, labels, targets.

A network takes inputs as rows (n, n_inputs) — or one sample (n_inputs,) — and labels as
integers 0 … n_outputs − 1 or target rows (n, n_outputs); training data also come as the
original Hippo's list of ``(x, y)`` column pairs or as an object with ``images`` and ``labels``
(:mod:`nn_core.datasets`). Everything is converted once, here, to C-contiguous arrays of the
network's dtype, and anything malformed is refused with a ValueError naming the argument.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from nn_core.activations import OUTPUTS
from nn_core.arrays import Array
from nn_core.costs import COSTS
from nn_core.datasets import Dataset, split_dataset

DTYPES: tuple[str, ...] = ("float32", "float64")
"""Supported parameter dtypes."""


def check_dtype(dtype: DTypeLike) -> np.dtype[Any]:
    """The dtype, if it is one of :data:`DTYPES`; else a ValueError."""
    resolved = np.dtype(dtype)
    if resolved.name not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    return resolved


def check_output_and_cost(output: str, cost: str) -> None:
    """Refuse an unknown output activation or cost by name."""
    for what, name, allowed in (("output", output, OUTPUTS), ("cost", cost, COSTS)):
        if name not in allowed:
            raise ValueError(f"unknown {what} {name!r}; choose one of {', '.join(allowed)}")


def as_rows(X: ArrayLike, n_inputs: int, dtype: np.dtype[Any], what: str = "X") -> Array:
    """X as a C-contiguous (n, n_inputs) array of ``dtype``; (n_inputs,) becomes one row."""
    rows = np.ascontiguousarray(X, dtype=dtype)
    if rows.ndim == 1:
        rows = rows[None, :]
    if rows.ndim != 2 or rows.shape[1] != n_inputs:
        raise ValueError(
            f"{what} must have shape (n, {n_inputs}) or ({n_inputs},), got {np.shape(X)}"
        )
    return rows


def as_labels(y: NDArray[Any], n: int, n_outputs: int, what: str) -> NDArray[np.int64]:
    """Validate integer labels: shape (n,), values 0 … n_outputs − 1."""
    labels = np.asarray(y).reshape(-1) if y.size == n else np.asarray(y)
    if labels.shape != (n,):
        raise ValueError(f"{what}: expected {n} labels, got shape {y.shape}")
    if not np.issubdtype(labels.dtype, np.integer) and not np.all(np.mod(labels, 1) == 0):
        raise ValueError(f"{what}: labels must be integers")
    labels = labels.astype(np.int64)
    if n and (labels.min() < 0 or labels.max() >= n_outputs):
        raise ValueError(f"{what}: labels must lie in 0 … {n_outputs - 1}")
    return labels


def as_targets(y: NDArray[Any], n: int, n_outputs: int, dtype: np.dtype[Any], what: str) -> Array:
    """Target rows (n, n_outputs) of ``dtype``, from labels or from target rows."""
    if y.ndim == 2 and y.shape == (n, n_outputs):
        return np.ascontiguousarray(y, dtype=dtype)
    labels = as_labels(y, n, n_outputs, what)
    return np.eye(n_outputs, dtype=dtype)[labels]


def training_arrays(
    data: Dataset, n_inputs: int, n_outputs: int, dtype: np.dtype[Any]
) -> tuple[Array, Array]:
    """Training data as (X, Y): inputs (n, n_inputs) and target rows (n, n_outputs)."""
    X, y = split_dataset(data, "training_data")
    rows = as_rows(X, n_inputs, dtype, "training_data inputs")
    # min and max propagate NaN and expose ±inf, without a temporary the size of the data.
    if not (np.isfinite(rows.min()) and np.isfinite(rows.max())):
        raise ValueError("training_data contains NaN or infinite inputs")
    return rows, as_targets(y, len(rows), n_outputs, dtype, "training_data targets")


def labelled_arrays(
    data: Dataset, what: str, n_inputs: int, n_outputs: int, dtype: np.dtype[Any]
) -> tuple[Array, NDArray[np.int64]]:
    """Labelled data as (X, labels): inputs (n, n_inputs) and integer labels (n,)."""
    X, y = split_dataset(data, what)
    rows = as_rows(X, n_inputs, dtype, f"{what} inputs")
    if y.ndim == 2 and y.shape[1] == n_outputs:
        return rows, y.argmax(axis=1).astype(np.int64)
    return rows, as_labels(y, len(rows), n_outputs, f"{what} labels")


def check_not_empty(rows: int, what: str) -> None:
    """A mean over no samples has no value: refuse it instead of dividing by zero."""
    if rows == 0:
        raise ValueError(f"{what} holds no samples: a mean over none is undefined")
