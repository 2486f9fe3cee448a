"""Vectorised checks of the pixel arrays the API receives as parsed JSON.

The predict path must stay fast: 784 numbers are checked with NumPy in one go, never one DRF field
at a time. The only per-item Python work is `set(map(type, ...))`, a C-level loop that rejects
booleans, strings and nulls (NumPy would silently turn `true` into 1.0 and `"0.5"` into 0.5).
Slow, item-by-item code runs only to name the offending item once something is known to be wrong.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from api.errors import invalid_input, payload_too_large
from nn_core.arrays import FloatArray
from nn_core.constants import INPUT_SIZE

_NUMBER_TYPES = frozenset({int, float})


def _describe(value: Any) -> str:
    """Name a JSON value for an error message (`true`, `"0.5"`, `null`, `1.7`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value if len(value) <= 20 else value[:17] + "..."
        return f'"{text}"'
    if isinstance(value, list | dict):
        return "a list" if isinstance(value, list) else "an object"
    return repr(value)


def _first_non_number(values: list[Any]) -> int:
    """Index of the first item that is not a JSON number (only called when one exists)."""
    return next(i for i, v in enumerate(values) if type(v) not in _NUMBER_TYPES)


def _to_float32(values: list[Any], field: str) -> FloatArray:
    """Convert a list of numbers to float32; anything unrepresentable becomes a field error."""
    try:
        with np.errstate(over="ignore"):  # 1e300 → inf in float32; reported as out of range below
            return np.asarray(values, dtype=np.float32)
    except (OverflowError, ValueError, TypeError):
        # Only integers too large for a float get here (types were checked before).
        raise invalid_input({field: ["must be numbers in 0..1; an item is too large"]}) from None


def _check_range(array: FloatArray, original: list[Any], field: str, prefix: str = "") -> None:
    """Raise unless every value is finite and within 0..1 (NaN fails both comparisons)."""
    inside = (array >= 0.0) & (array <= 1.0)
    if inside.all():
        return
    flat_index = int(np.flatnonzero(~inside.ravel())[0])
    if array.ndim == 2:
        row, column = divmod(flat_index, array.shape[1])
        where, bad = f"item {row}, pixel {column}", original[row][column]
    else:
        where, bad = f"item {flat_index}", original[flat_index]
    raise invalid_input({field: [f"{prefix}must be numbers in 0..1; {where} is {_describe(bad)}"]})


def parse_pixels(value: Any, field: str = "pixels") -> FloatArray:
    """Check one image of 784 pixels given as parsed JSON and return it as a float32 array.

    Args:
        value: The parsed JSON value (should be a list of 784 numbers in 0..1).
        field: The request field named in error messages.

    Returns:
        A `(784,)` float32 array.

    Raises:
        ApiError: `invalid_input` naming the field and the problem, e.g.
            `{"pixels": ["expected 784 numbers, got 783"]}`.
    """
    if not isinstance(value, list):
        raise invalid_input(
            {field: [f"expected a list of {INPUT_SIZE} numbers, got {_describe(value)}"]}
        )
    if len(value) != INPUT_SIZE:
        raise invalid_input({field: [f"expected {INPUT_SIZE} numbers, got {len(value)}"]})
    if not set(map(type, value)) <= _NUMBER_TYPES:
        index = _first_non_number(value)
        raise invalid_input(
            {field: [f"must be numbers in 0..1; item {index} is {_describe(value[index])}"]}
        )
    array = _to_float32(value, field)
    _check_range(array, value, field)
    return array


def parse_batch(value: Any, limit: int, field: str = "batch") -> FloatArray:
    """Check a batch of images given as parsed JSON and return it as an `(n, 784)` float32 array.

    Args:
        value: The parsed JSON value (should be a list of lists of 784 numbers in 0..1).
        limit: The largest number of images accepted.
        field: The request field named in error messages.

    Returns:
        An `(n, 784)` float32 array, `1 <= n <= limit`.

    Raises:
        ApiError: `invalid_input` for a malformed batch, `payload_too_large` (413) for a batch
            longer than `limit`.
    """
    if not isinstance(value, list):
        raise invalid_input({field: [f"expected a list of images, got {_describe(value)}"]})
    if not value:
        raise invalid_input({field: ["must hold at least one image"]})
    if len(value) > limit:
        message = f"holds {len(value)} images; the limit is {limit}"
        raise payload_too_large(f"The batch {message}.", field) from None
    if set(map(type, value)) != {list}:
        index = next(i for i, row in enumerate(value) if not isinstance(row, list))
        raise invalid_input(
            {
                field: [
                    f"item {index}: expected a list of {INPUT_SIZE} numbers, "
                    f"got {_describe(value[index])}"
                ]
            }
        )
    lengths = np.fromiter(map(len, value), dtype=np.int64, count=len(value))
    wrong = np.flatnonzero(lengths != INPUT_SIZE)
    if wrong.size:
        index = int(wrong[0])
        raise invalid_input(
            {field: [f"item {index}: expected {INPUT_SIZE} numbers, got {int(lengths[index])}"]}
        )
    if not set(map(type, itertools.chain.from_iterable(value))) <= _NUMBER_TYPES:
        row = next(i for i, r in enumerate(value) if not set(map(type, r)) <= _NUMBER_TYPES)
        column = _first_non_number(value[row])
        raise invalid_input(
            {
                field: [
                    f"must be numbers in 0..1; item {row}, pixel {column} is "
                    f"{_describe(value[row][column])}"
                ]
            }
        )
    array = _to_float32(value, field)
    _check_range(array, value, field)
    return array


def check_not_both(data: dict[str, Any]) -> None:
    """Require exactly one of `pixels` and `batch` in a predict request body."""
    has_pixels, has_batch = "pixels" in data, "batch" in data
    if has_pixels and has_batch:
        message = "give either pixels or batch, not both"
        raise invalid_input({"pixels": [message], "batch": [message]})
    if not has_pixels and not has_batch:
        raise invalid_input({"pixels": ["this field is required (or give batch)"]})


__all__ = ["check_not_both", "parse_batch", "parse_pixels"]
