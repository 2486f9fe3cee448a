"""MNIST examples picked by what a model made of them: a confusion-matrix cell, or its mistakes.

`GET /models/{name}/examples` answers "which test images of a 3 did this model call a 5?". The
model's predictions over a whole split are computed once per loaded network and split, then kept
for the life of the process (a weak reference to the network: a new revision, which loads as a new
network object, gets fresh predictions, and an evicted network's predictions go with it).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from api.values import pixels_json
from inference.resolver import resolve_network
from mnist_samples.services import get_splits
from nn_core.sequential import Sequential

CHUNK = 5_000
"""Images per forward pass while predicting a split (bounds the activations' memory)."""

_lock = threading.Lock()
_cache: weakref.WeakKeyDictionary[Sequential, dict[str, SplitPredictions]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class SplitPredictions:
    """One network's answers for every image of a split.

    Attributes:
        digits: Predicted digit per image, int64 (n,).
        confidences: Probability of that digit, float64 (n,).
    """

    digits: npt.NDArray[np.int64]
    confidences: npt.NDArray[np.float64]


def predict_split(network: Sequential, images: npt.NDArray[np.float32]) -> SplitPredictions:
    """Predict every image, `CHUNK` at a time."""
    digits: list[npt.NDArray[np.int64]] = []
    confidences: list[npt.NDArray[np.float64]] = []
    for start in range(0, len(images), CHUNK):
        probabilities = np.asarray(
            network.predict(images[start : start + CHUNK]).probabilities, dtype=np.float64
        )
        best = probabilities.argmax(axis=1)
        digits.append(best.astype(np.int64))
        confidences.append(probabilities[np.arange(len(best)), best])
    return SplitPredictions(np.concatenate(digits), np.concatenate(confidences))


def split_predictions(network: Sequential, dataset: str) -> SplitPredictions:
    """The cached predictions of `network` over `dataset`, computed on first use.

    The lock is held while computing, so concurrent first requests compute them once (a split
    takes well under a second for the MLPs; nothing else waits on this lock).
    """
    with _lock:
        per_split = _cache.setdefault(network, {})
        cached = per_split.get(dataset)
        if cached is None:
            cached = predict_split(network, get_splits().get(dataset).images)
            per_split[dataset] = cached
        return cached


def find_examples(
    model: str,
    dataset: str = "test",
    true: int | None = None,
    predicted: int | None = None,
    mistakes: bool = False,
    count: int = 12,
    offset: int = 0,
) -> dict[str, Any]:
    """The images of `dataset` with label `true` that `model` predicted as `predicted`.

    Either filter may be None (any digit); `mistakes` keeps only misclassified images. Matches
    come in index order; `offset` pages through them and `total` says how many there are.

    Raises:
        ModelNotFound, ModelUnavailable, ModelBroken: unknown or unusable model (404/409).
        MnistNotFoundError: MNIST is absent (503).
    """
    name, network = resolve_network(model)
    split = get_splits().get(dataset)
    answers = split_predictions(network, dataset)
    labels = np.asarray(split.labels, dtype=np.int64)
    keep = np.ones(len(labels), dtype=bool)
    if true is not None:
        keep &= labels == true
    if predicted is not None:
        keep &= answers.digits == predicted
    if mistakes:
        keep &= answers.digits != labels
    matches = np.flatnonzero(keep)
    chosen = matches[offset : offset + count]
    return {
        "model": name,
        "dataset": dataset,
        "true": true,
        "predicted": predicted,
        "mistakes": mistakes,
        "total": len(matches),
        "offset": offset,
        "count": len(chosen),
        "examples": [
            {
                "index": int(i),
                "label": int(labels[i]),
                "predicted": int(answers.digits[i]),
                "confidence": float(answers.confidences[i]),
                "pixels": pixels_json(split.images[i]),
            }
            for i in chosen
        ],
    }
