"""Accuracy, confusion matrix and per-class accuracy in NumPy, and the printed table."""

from __future__ import annotations

import numpy as np
import pytest

from training import metrics


def test_accuracy_is_a_percentage() -> None:
    assert metrics.accuracy([1, 2, 3, 4], [1, 2, 0, 4]) == 75.0
    assert metrics.accuracy(np.array([], dtype=np.int64), np.array([], dtype=np.int64)) == 0.0


def test_accuracy_refuses_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="3 entries but labels has 2"):
        metrics.accuracy([1, 2, 3], [1, 2])


def test_confusion_matrix_rows_are_true_classes() -> None:
    labels = np.array([0, 0, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 2, 2, 0])
    m = metrics.confusion_matrix(predicted, labels, num_classes=3)
    assert m.dtype == np.int64
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert m.sum() == labels.size


def test_confusion_matrix_default_has_ten_classes_and_matches_a_loop() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 500)
    predicted = np.where(rng.random(500) < 0.8, labels, rng.integers(0, 10, 500))
    expected = np.zeros((10, 10), dtype=np.int64)
    for t, p in zip(labels, predicted, strict=True):
        expected[t, p] += 1
    assert np.array_equal(metrics.confusion_matrix(predicted, labels), expected)


def test_confusion_matrix_refuses_out_of_range_classes() -> None:
    with pytest.raises(ValueError, match=r"outside 0\.\.9"):
        metrics.confusion_matrix([10], [1])


def test_per_class_accuracy_from_the_matrix() -> None:
    m = np.array([[3, 1, 0], [0, 0, 0], [1, 0, 1]])
    assert metrics.per_class_accuracy(m) == [75.0, 0.0, 50.0]
    with pytest.raises(ValueError, match="square"):
        metrics.per_class_accuracy(np.zeros((2, 3)))


def test_format_confusion_matrix_is_a_readable_table() -> None:
    m = np.diag([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]).astype(np.int64)
    m[4, 9] = 7
    m[4, 4] -= 7
    table = metrics.format_confusion_matrix(m).splitlines()
    assert len(table) == 12  # header, rule, ten rows
    assert table[0].startswith("true\\pred")
    assert table[0].split()[1:11] == [str(d) for d in range(10)]
    row4 = table[2 + 4].split()
    assert row4[0] == "4"
    assert row4[5] == "975"
    assert row4[10] == "7"
    assert row4[-2:] == ["99.29", "%"]
    assert len({len(line) for line in table[2:]}) == 1  # columns line up
