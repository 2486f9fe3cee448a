"""What a finished run leaves behind: the model files, their metadata and the figures.

The metadata is deterministic except for the wall clock: two runs of the same configuration
and seed write the same ``.safetensors`` bytes and ``.json`` files that differ only in
``created_at``, ``training.duration_seconds`` and the epochs' ``seconds``.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import platform
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nn_core.model_files import ModelMetadata, save_model
from training import plots
from training.names import check_model_name, check_name_is_free, default_model_name, free_name
from training.run import TrainingResult


@dataclass(frozen=True)
class ModelFiles:
    """The files one training run wrote, side by side in the output directory."""

    name: str
    weights: Path
    metadata: Path
    curves: Path
    confusion: Path
    renamed_from: str | None = None
    """The default name that was taken, when ``name`` is the first free one after it."""


def library_versions() -> dict[str, str]:
    """Versions of what produced a model: Python, NumPy, safetensors and Hippo itself."""
    versions = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "hippo": hippo_version(),
    }
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        versions["safetensors"] = importlib.metadata.version("safetensors")
    return versions


def hippo_version() -> str:
    """Hippo's version: the installed distribution's, else the one in pyproject.toml."""
    try:
        return importlib.metadata.version("hippo")
    except importlib.metadata.PackageNotFoundError:
        pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
        try:
            project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
            return str(project["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "unknown"


def build_metadata(result: TrainingResult, name: str, description: str = "") -> ModelMetadata:
    """The JSON metadata of a run: architecture, every metric, the config and the history."""
    config = result.config
    network = result.network
    if not description:
        kind = "MLP" if config.layers is None else "network"
        description = (
            f"{config.architecture} "
            + (f"{config.activation} " if config.uses_activation else "")
            + f"{kind} trained on MNIST "
            + ("with augmentation " if config.augment else "")
            + f"with {config.optimizer} (lr {config.learning_rate:g}, "
            f"batch {config.mini_batch_size}, {result.epochs_completed} epochs); "
            f"test accuracy {result.test_accuracy:.2f} %"
            + (" (interrupted)" if result.interrupted else "")
        )
    return ModelMetadata.for_network(
        network,
        name,
        metrics={
            "test_accuracy": result.test_accuracy,
            "validation_accuracy": result.best_validation_accuracy,
            "train_accuracy": result.train_accuracy,
            "test_loss": result.test_loss,
            "per_class_accuracy": result.per_class_accuracy,
            "confusion_matrix": result.confusion_matrix.tolist(),
        },
        training={
            "config": config.to_dict(),
            "history": result.history,
            "seed": config.seed,
            "dataset": {
                "name": "MNIST",
                "checksums": dict(sorted(result.dataset_checksums.items())),
                "train_samples": result.train_samples,
                "split": "train: first 50,000 of the training file; validation: its last 10,000; "
                "test: the 10,000 t10k images",
            },
            "duration_seconds": round(result.train_seconds, 3),
            "library_versions": library_versions(),
            "best_epoch": result.best_epoch,
            "epochs_completed": result.epochs_completed,
            "stopped_early": result.stopped_early,
            "interrupted": result.interrupted,
        },
        description=description,
    )


def write_model_files(
    result: TrainingResult,
    output_dir: Path,
    name: str | None = None,
    description: str = "",
    *,
    overwrite: bool = False,
) -> ModelFiles:
    """Write ``<name>.safetensors``, ``<name>.json``, ``<name>.png`` and ``<name>-confusion.png``.

    Args:
        result: a finished (or interrupted) run.
        output_dir: the directory (created when missing).
        name: the file stem; default :func:`~training.names.default_model_name`, or the
            first free name after it (``-2``, ``-3``, …) when that one is taken.
        description: a one-line description for the metadata (a default is generated).
        overwrite: replace the files of an explicit ``name`` that is taken (else refused).

    Returns:
        The paths written.

    Raises:
        ConfigError: ``name`` is not a valid model name.
        NameTaken: ``name`` is taken and ``overwrite`` is false.
    """
    renamed_from: str | None = None
    if name:
        check_model_name(name)
        if not overwrite:
            check_name_is_free(name, output_dir)
    else:
        config = result.config
        default = default_model_name(
            config.sizes,
            config.activation,
            result.test_accuracy,
            None if config.is_plain_mlp else config.architecture,
            config.augment,
        )
        name = free_name(default, output_dir)
        renamed_from = default if name != default else None
    output_dir.mkdir(parents=True, exist_ok=True)
    title = name + (" (interrupted)" if result.interrupted else "")
    # Figures first: if plotting fails, no half-described model is left behind.
    curves = plots.plot_training_curves(
        result.history, output_dir / f"{name}.png", title=title, best_epoch=result.best_epoch
    )
    confusion = plots.plot_confusion_matrix(
        result.confusion_matrix,
        output_dir / f"{name}-confusion.png",
        title=f"{name}: test set, {result.test_accuracy:.2f} %",
    )
    weights, metadata = save_model(
        result.network,
        output_dir / f"{name}.safetensors",
        build_metadata(result, name, description),
    )
    return ModelFiles(
        name=name,
        weights=weights,
        metadata=metadata,
        curves=curves,
        confusion=confusion,
        renamed_from=renamed_from,
    )


__all__ = ["ModelFiles", "build_metadata", "hippo_version", "library_versions", "write_model_files"]
