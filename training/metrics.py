"""Classification metrics in NumPy: accuracy, the confusion matrix and per-class accuracy.

Accuracies are percentages (0..100), as everywhere in Hippo's model metadata.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from nn_core.constants import NUM_CLASSES


def _as_labels(values: npt.ArrayLike, what: str) -> npt.NDArray[np.int64]:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{what} must be a 1-D array of class indices, got shape {array.shape}")
    return array.astype(np.int64, copy=False)


def accuracy(predicted: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Percentage of predictions equal to the labels.

    Args:
        predicted: predicted class per sample, shape (n,).
        labels: true class per sample, shape (n,).

    Returns:
        The accuracy in percent (0..100); 0.0 for empty input.

    Raises:
        ValueError: when the two arrays differ in length or are not 1-D.
    """
    p = _as_labels(predicted, "predicted")
    y = _as_labels(labels, "labels")
    if p.shape != y.shape:
        raise ValueError(f"predicted has {p.size} entries but labels has {y.size}")
    if y.size == 0:
        return 0.0
    return float(np.count_nonzero(p == y) * 100.0 / y.size)


def confusion_matrix(
    predicted: npt.ArrayLike, labels: npt.ArrayLike, num_classes: int = NUM_CLASSES
) -> npt.NDArray[np.int64]:
    """Count how often each true class was predicted as each class.

    Args:
        predicted: predicted class per sample, shape (n,).
        labels: true class per sample, shape (n,).
        num_classes: number of classes (rows and columns).

    Returns:
        An int64 array ``m`` of shape (num_classes, num_classes) where ``m[true, predicted]`` counts
        samples; rows are true classes, columns predictions.

    Raises:
        ValueError: on mismatched lengths or a class index outside ``0..num_classes-1``.
    """
    p = _as_labels(predicted, "predicted")
    y = _as_labels(labels, "labels")
    if p.shape != y.shape:
        raise ValueError(f"predicted has {p.size} entries but labels has {y.size}")
    for name, values in (("predicted", p), ("labels", y)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f"{name} holds a class outside 0..{num_classes - 1}")
    # One bincount over flattened (true, predicted) pairs: no Python loop over samples.
    counts = np.bincount(y * num_classes + p, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(np.int64)


def per_class_accuracy(matrix: npt.ArrayLike) -> list[float]:
    """Accuracy within each true class (the recall of each digit), from a confusion matrix.

    Args:
        matrix: a square confusion matrix, rows are true classes.

    Returns:
        One percentage per class; 0.0 for a class with no samples.
    """
    m = np.asarray(matrix, dtype=np.int64)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"a confusion matrix must be square, got shape {m.shape}")
    totals = m.sum(axis=1)
    correct = np.diag(m)
    return [float(c * 100.0 / t) if t else 0.0 for c, t in zip(correct, totals, strict=True)]


def format_confusion_matrix(matrix: npt.ArrayLike) -> str:
    """Render a confusion matrix as a fixed-width text table with per-class accuracy.

    Args:
        matrix: a square confusion matrix, rows are true classes, columns predictions.

    Returns:
        A multi-line string: a header of predicted classes, one row per true class ending in
        that class's accuracy, ready to print in a terminal.
    """
    m = np.asarray(matrix, dtype=np.int64)
    per_class = per_class_accuracy(m)
    n = m.shape[0]
    width = max(5, len(str(int(m.max(initial=0)))) + 1)
    header = "true\\pred" + "".join(f"{c:>{width}}" for c in range(n)) + "   accuracy"
    lines = [header, "-" * len(header)]
    for row in range(n):
        cells = "".join(f"{int(v):>{width}}" for v in m[row])
        lines.append(f"{row:>9}{cells}   {per_class[row]:7.2f} %")
    return "\n".join(lines)
