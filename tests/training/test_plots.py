"""The training-curve and confusion-matrix PNGs are valid, small images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from training import plots

HISTORY = [
    {
        "epoch": e,
        "train_loss": 1.0 / e,
        "validation_loss": 1.1 / e,
        "validation_accuracy": 90 + e,
        "learning_rate": 0.001,
        "seconds": 0.5,
    }
    for e in range(1, 6)
]


def _check_png(path: Path, max_bytes: int = 150_000) -> tuple[int, int]:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size < max_bytes
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        return image.size


def test_training_curves_png(tmp_path: Path) -> None:
    path = plots.plot_training_curves(HISTORY, tmp_path / "sub" / "m.png", title="m", best_epoch=4)
    assert path == tmp_path / "sub" / "m.png"
    width, height = _check_png(path)
    assert width > height > 100


def test_training_curves_without_validation(tmp_path: Path) -> None:
    history = [
        {"epoch": 1, "train_loss": 0.5, "validation_loss": None, "validation_accuracy": None}
    ]
    _check_png(plots.plot_training_curves(history, tmp_path / "one.png"))


def test_confusion_matrix_png(tmp_path: Path) -> None:
    m = np.full((10, 10), 3, dtype=np.int64) + np.diag(np.full(10, 970))
    width, height = _check_png(plots.plot_confusion_matrix(m, tmp_path / "c.png", title="t"))
    assert width > 200
    assert height > 200
