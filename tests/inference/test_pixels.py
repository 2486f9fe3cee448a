"""The vectorised pixel checks: every malformed input becomes a field error naming the problem."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from api.errors import ApiError
from inference.pixels import check_not_both, parse_batch, parse_pixels


def _error(call: Any) -> ApiError:
    with pytest.raises(ApiError) as info:
        call()
    return info.value


def test_valid_pixels_become_float32_array() -> None:
    values = [i / 783 for i in range(784)]
    values[3] = 1  # JSON integers are numbers too
    array = parse_pixels(values)
    assert array.dtype == np.float32
    assert array.shape == (784,)
    np.testing.assert_allclose(array, np.asarray(values, dtype=np.float32))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([0.5] * 783, "expected 784 numbers, got 783"),
        ([0.5] * 785, "expected 784 numbers, got 785"),
        ([], "expected 784 numbers, got 0"),
        ("0.5", 'expected a list of 784 numbers, got "0.5"'),
        (None, "expected a list of 784 numbers, got null"),
        ({"a": 1}, "expected a list of 784 numbers, got an object"),
    ],
)
def test_wrong_shapes_are_named(value: Any, message: str) -> None:
    error = _error(lambda: parse_pixels(value))
    assert error.status_code == 400
    assert error.code == "invalid_input"
    assert error.fields == {"pixels": [message]}


@pytest.mark.parametrize(
    ("bad", "shown"),
    [
        (True, "true"),
        (False, "false"),
        ("0.5", '"0.5"'),
        (None, "null"),
        ([0.5], "a list"),
        (1.7, "1.7"),
        (-0.1, "-0.1"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        (math.nan, "nan"),
        (2, "2"),
        (1e300, "1e+300"),  # becomes inf in float32: out of range, not a crash
    ],
)
def test_bad_items_are_named_with_their_index(bad: Any, shown: str) -> None:
    values: list[Any] = [0.0] * 784
    values[5] = bad
    error = _error(lambda: parse_pixels(values))
    assert error.fields == {"pixels": [f"must be numbers in 0..1; item 5 is {shown}"]}


def test_huge_integer_is_a_field_error() -> None:
    values: list[Any] = [0.0] * 784
    values[0] = 10**400
    error = _error(lambda: parse_pixels(values))
    assert error.code == "invalid_input"
    assert "pixels" in error.fields


def test_field_name_is_configurable() -> None:
    error = _error(lambda: parse_pixels([0.0], field="input"))
    assert list(error.fields) == ["input"]


def test_valid_batch() -> None:
    batch = [[0.0] * 784, [1.0] * 784, [0.25] * 784]
    array = parse_batch(batch, limit=3)
    assert array.shape == (3, 784)
    assert array.dtype == np.float32
    assert array[2, 0] == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        ([], "must hold at least one image"),
        ("x", 'expected a list of images, got "x"'),
        ([[0.0] * 784, 0.5], "item 1: expected a list of 784 numbers, got 0.5"),
        ([[0.0] * 784, [0.0] * 10], "item 1: expected 784 numbers, got 10"),
        ([[0.0] * 784, [0.0] * 783 + [True]], "must be numbers in 0..1; item 1, pixel 783 is true"),
        ([[0.0] * 784, [0.0] * 783 + [1.5]], "must be numbers in 0..1; item 1, pixel 783 is 1.5"),
    ],
)
def test_bad_batches_are_named(batch: Any, message: str) -> None:
    error = _error(lambda: parse_batch(batch, limit=10))
    assert (error.status_code, error.code) == (400, "invalid_input")
    assert error.fields == {"batch": [message]}


def test_batch_over_the_limit_is_413() -> None:
    error = _error(lambda: parse_batch([[0.0] * 784] * 4, limit=3))
    assert (error.status_code, error.code) == (413, "payload_too_large")
    assert error.fields == {"batch": ["The batch holds 4 images; the limit is 3."]}


def test_exactly_one_of_pixels_and_batch() -> None:
    check_not_both({"pixels": 1})
    check_not_both({"batch": 1})
    both = _error(lambda: check_not_both({"pixels": 1, "batch": 1}))
    assert set(both.fields) == {"pixels", "batch"}
    neither = _error(lambda: check_not_both({"model": "x"}))
    assert set(neither.fields) == {"pixels"}
