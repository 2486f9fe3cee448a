"""PNG figures of a training run: the training curves and the confusion matrix.

Matplotlib runs on the Agg backend (no display needed); figures are kept small because they are
stored beside the model files and served by the API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl

mpl.use("Agg")  # before pyplot: a server or CI machine has no display

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt


def plot_training_curves(
    history: Sequence[Mapping[str, Any]],
    path: Path,
    *,
    title: str = "",
    best_epoch: int | None = None,
) -> Path:
    """Draw the loss and validation accuracy per epoch into a PNG.

    Args:
        history: one mapping per epoch with ``epoch``, ``train_loss`` and optionally
            ``validation_loss`` and ``validation_accuracy`` (percent).
        path: where to write the PNG (parent directories are created).
        title: a title over both panels (e.g. the model name).
        best_epoch: marked with a dashed line when given (the kept weights).

    Returns:
        The path written.
    """
    epochs = [int(h["epoch"]) for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(8.0, 3.2), dpi=100)
    try:
        ax_loss.plot(epochs, [h["train_loss"] for h in history], marker="o", ms=3, label="training")
        val_loss = [h.get("validation_loss") for h in history]
        if any(v is not None for v in val_loss):
            ax_loss.plot(
                epochs,
                [np.nan if v is None else v for v in val_loss],
                marker="o",
                ms=3,
                label="validation",
            )
        ax_loss.set_xlabel("epoch")
        ax_loss.set_ylabel("loss")
        ax_loss.set_title("loss")

        val_acc = [h.get("validation_accuracy") for h in history]
        ax_acc.plot(
            epochs, [np.nan if v is None else v for v in val_acc], marker="o", ms=3, color="C2"
        )
        ax_acc.set_xlabel("epoch")
        ax_acc.set_ylabel("accuracy (%)")
        ax_acc.set_title("validation accuracy")

        for ax in (ax_loss, ax_acc):
            ax.grid(alpha=0.3)
            if best_epoch is not None:
                ax.axvline(best_epoch, color="grey", ls="--", lw=1, label="kept (best)")
            if epochs:
                # Integer epoch ticks only; a few at most so they stay readable.
                ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True, nbins=8))
        ax_loss.legend(loc="upper right", fontsize="small")
        if title:
            fig.suptitle(title, fontsize="medium")
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path


def plot_confusion_matrix(matrix: npt.ArrayLike, path: Path, *, title: str = "") -> Path:
    """Draw a confusion matrix (rows true digits, columns predictions) with counts into a PNG.

    Args:
        matrix: a square matrix of counts.
        path: where to write the PNG (parent directories are created).
        title: a title above the matrix.

    Returns:
        The path written.
    """
    m = np.asarray(matrix, dtype=np.int64)
    n = m.shape[0]
    # Colour by row share, not raw counts, so that the off-diagonal mistakes are visible at all.
    totals = m.sum(axis=1, keepdims=True)
    share = np.divide(m, totals, out=np.zeros(m.shape, dtype=np.float64), where=totals > 0)
    fig, ax = plt.subplots(figsize=(5.2, 4.6), dpi=100)
    try:
        ax.imshow(np.sqrt(share), cmap="Blues", vmin=0.0, vmax=1.0)
        for i in range(n):
            for j in range(n):
                if m[i, j]:
                    dark = share[i, j] > 0.5
                    ax.text(
                        j,
                        i,
                        str(int(m[i, j])),
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if dark else "black",
                    )
        ax.set_xticks(range(n))
        ax.set_yticks(range(n))
        ax.set_xlabel("predicted digit")
        ax.set_ylabel("true digit")
        ax.set_title(title or "confusion matrix (test set)", fontsize="medium")
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path
