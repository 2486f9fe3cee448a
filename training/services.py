"""The training run as plain functions: check a configuration, train, evaluate, write the files.

The management commands (``train_mnist``, ``ensure_model``) are thin wrappers around these
functions, so that tests and other callers drive exactly the same code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.metadata
import json
import math
import platform
import re
import secrets
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nn_core.augmentation import Augmenter
from nn_core.layers import PRESETS, mlp_specs, parse_layers, short_form
from nn_core.mnist import MnistSplits, Split
from nn_core.model_files import ModelMetadata, save_model
from nn_core.network import (
    ACTIVATIONS,
    COSTS,
    OPTIMIZERS,
    OUTPUTS,
    EpochReport,
    NeuralNetwork,
)
from nn_core.sequential import Sequential
from training import metrics, plots

INPUT_SIZE = 784
IMAGE_SHAPE = (1, 28, 28)
OUTPUT_SIZE = 10
SCHEDULE_CHOICES = ("constant", "step", "cosine")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")

BatchCallback = Callable[[int, int], None]
EpochCallback = Callable[[EpochReport, bool], bool | None]


class ConfigError(ValueError):
    """A training configuration that cannot work; the message says which value and why."""


class NothingToSave(RuntimeError):  # noqa: N818 - reads as a sentence: "raise NothingToSave"
    """Training stopped (Ctrl-C) before the first epoch finished: there is no checkpoint."""


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that defines a training run (the network and its hyperparameters).

    The defaults are the fast recipe of docs/TRAINING.md: a good 784-100-10 model in seconds.
    A fully connected network is ``sizes`` and ``activation``; any other architecture is
    ``layers`` (layer specs, see ``nn_core.layers.specs``; ``sizes`` is then ignored), e.g. from
    ``--layers`` or an ``--arch`` preset. ``dropout`` adds a dropout layer of that rate after
    every hidden layer of a ``sizes`` network, or sets the rate of every dropout layer of
    ``layers``; ``augment`` distorts every training batch (``nn_core.augmentation``).
    """

    sizes: tuple[int, ...] = (784, 100, 10)
    activation: str = "relu"
    output: str = "softmax"
    cost: str = "cross_entropy"
    epochs: int = 30
    mini_batch_size: int = 32
    learning_rate: float = 0.05
    optimizer: str = "momentum"
    momentum: float = 0.9
    l2: float = 2e-4
    schedule: str = "cosine"
    seed: int | None = None
    limit_train: int | None = None
    layers: tuple[tuple[tuple[str, Any], ...], ...] | None = None
    dropout: float = 0.0
    augment: bool = False

    def layer_specs(self) -> list[dict[str, Any]]:
        """The architecture as layer specs (dropout applied)."""
        if self.layers is None:
            specs = mlp_specs(self.sizes, self.activation)
            if not self.dropout:
                return specs
            with_dropout: list[dict[str, Any]] = []
            for spec in specs:
                with_dropout.append(spec)
                if spec["type"] == "activation":
                    with_dropout.append({"type": "dropout", "rate": self.dropout})
            return with_dropout
        specs = [dict(spec) for spec in self.layers]
        if self.dropout:
            for spec in specs:
                if spec["type"] == "dropout":
                    spec["rate"] = self.dropout
        return specs

    @property
    def input_shape(self) -> list[int]:
        """[784] for fully connected networks, [1, 28, 28] when the first layer is a conv."""
        first = self.layer_specs()[0]["type"]
        return list(IMAGE_SHAPE) if first in ("conv2d", "maxpool2d") else [INPUT_SIZE]

    def build_network(self, seed: int | None) -> Sequential:
        """A freshly initialised network of this architecture."""
        if self.layers is None and not self.dropout:
            return NeuralNetwork(
                list(self.sizes), self.activation, self.output, self.cost, seed=seed
            )
        return Sequential(self.layer_specs(), self.input_shape, self.output, self.cost, seed=seed)

    @property
    def architecture(self) -> str:
        """``784-100-10`` for a plain MLP; the layers' short form otherwise."""
        if self.layers is None and not self.dropout:
            return "-".join(str(s) for s in self.sizes)
        if self.layers is None:
            return "-".join(str(s) for s in self.sizes) + f"-dropout{self.dropout:g}"
        return short_form(self.layer_specs())

    def validate(self) -> None:
        """Check every value before any data is loaded.

        Raises:
            ConfigError: naming the first invalid value and what would be valid.
        """
        sizes = list(self.sizes)
        if len(sizes) < 2:
            raise ConfigError(f"--sizes needs at least an input and an output layer, got {sizes}")
        if any(s <= 0 for s in sizes):
            raise ConfigError(f"--sizes must all be positive, got {sizes}")
        if sizes[0] != INPUT_SIZE:
            raise ConfigError(
                f"--sizes must start with {INPUT_SIZE} (28x28 MNIST pixels), got {sizes[0]}"
            )
        if sizes[-1] != OUTPUT_SIZE:
            raise ConfigError(
                f"--sizes must end with {OUTPUT_SIZE} (one output per digit), got {sizes[-1]}"
            )
        _check_choice("--activation", self.activation, ACTIVATIONS)
        _check_choice("--output-layer", self.output, OUTPUTS)
        _check_choice("--cost", self.cost, COSTS)
        _check_choice("--optimizer", self.optimizer, OPTIMIZERS)
        _check_choice("--schedule", self.schedule, SCHEDULE_CHOICES)
        if self.epochs <= 0:
            raise ConfigError(f"--epochs must be a positive integer, got {self.epochs}")
        if self.mini_batch_size <= 0:
            raise ConfigError(
                f"--mini-batch-size must be a positive integer, got {self.mini_batch_size}"
            )
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise ConfigError(
                f"--learning-rate must be a positive number, got {self.learning_rate}"
            )
        if not (math.isfinite(self.momentum) and 0 <= self.momentum < 1):
            raise ConfigError(f"--momentum must be in [0, 1), got {self.momentum}")
        if not (math.isfinite(self.l2) and self.l2 >= 0):
            raise ConfigError(f"--l2 must be zero or a positive number, got {self.l2}")
        if self.seed is not None and not 0 <= self.seed < 2**32:
            raise ConfigError(f"--seed must be in 0..{2**32 - 1}, got {self.seed}")
        if self.limit_train is not None and self.limit_train <= 0:
            raise ConfigError(f"--limit-train must be a positive integer, got {self.limit_train}")
        if not (math.isfinite(self.dropout) and 0 <= self.dropout < 1):
            raise ConfigError(f"--dropout must be in [0, 1), got {self.dropout}")
        if self.layers is not None:
            try:
                network = Sequential(self.layer_specs(), self.input_shape, self.output, self.cost)
            except ValueError as exc:
                raise ConfigError(f"--layers: {exc}") from None
            if network.n_outputs != OUTPUT_SIZE:
                raise ConfigError(
                    f"--layers must end with dense{OUTPUT_SIZE} (one output per digit), "
                    f"got {network.n_outputs} outputs"
                )

    def to_dict(self) -> dict[str, Any]:
        """The configuration as JSON-ready values (stored in the model metadata)."""
        data = dataclasses.asdict(self)
        data["sizes"] = list(self.sizes)
        data["layers"] = None if self.layers is None else [dict(spec) for spec in self.layers]
        return data


def frozen_specs(specs: list[dict[str, Any]]) -> tuple[tuple[tuple[str, Any], ...], ...]:
    """Layer specs in the hashable form :class:`TrainingConfig` keeps (lists become tuples)."""
    return tuple(
        tuple(
            (key, tuple(value) if isinstance(value, list) else value) for key, value in spec.items()
        )
        for spec in specs
    )


def layers_from_text(
    text: str, activation: str = "relu"
) -> tuple[tuple[tuple[str, Any], ...], ...]:
    """``--layers``: the short form, a preset name, or the path of a JSON file of layer specs.

    Raises:
        ConfigError: An unreadable file or spec, naming the problem.
    """
    text = text.strip()
    if text in PRESETS:
        text = PRESETS[text]
    if text.endswith(".json"):
        try:
            specs = json.loads(Path(text).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"--layers {text}: cannot read the JSON layer list ({exc})") from None
        if not isinstance(specs, list) or not all(isinstance(spec, dict) for spec in specs):
            raise ConfigError(f"--layers {text}: expected a JSON list of layer objects")
        return frozen_specs(specs)
    try:
        return frozen_specs(parse_layers(text, activation))
    except ValueError as exc:
        raise ConfigError(f"--layers: {exc}") from None


def _check_choice(flag: str, value: str, choices: tuple[str | None, ...]) -> None:
    valid = [c for c in choices if c]
    if value not in valid:
        raise ConfigError(f"{flag} must be one of {', '.join(valid)}; got {value!r}")


# The fast recipe is TrainingConfig's defaults; the best recipe trades two minutes for accuracy.
# Both are measured in docs/TRAINING.md.
FAST_RECIPE = TrainingConfig()
BEST_RECIPE = TrainingConfig(
    sizes=(784, 1024, 10), epochs=30, mini_batch_size=64, learning_rate=0.1, optimizer="momentum"
)


@dataclass
class TrainingResult:
    """The outcome of one run: the best-validation network, its metrics and the history."""

    config: TrainingConfig  # with the seed actually used (never None)
    network: Sequential  # the weights of the best validation epoch
    history: list[dict[str, Any]]
    best_epoch: int
    best_validation_accuracy: float | None
    interrupted: bool
    train_seconds: float
    train_samples: int
    dataset_checksums: dict[str, str]
    test_accuracy: float
    test_loss: float
    train_accuracy: float
    per_class_accuracy: list[float]
    confusion_matrix: npt.NDArray[np.int64]
    epochs_completed: int = 0
    stopped_early: bool = False


@dataclass
class _Checkpoint:
    """The best epoch so far: a copy of the network at its best validation accuracy."""

    network: Sequential | None = None
    epoch: int = 0
    accuracy: float | None = None

    def improves_on(self, accuracy: float | None) -> bool:
        if self.network is None:
            return True
        return accuracy is not None and (self.accuracy is None or accuracy > self.accuracy)


@dataclass(frozen=True)
class ModelFiles:
    """The files one training run wrote, side by side in the output directory."""

    name: str
    weights: Path
    metadata: Path
    curves: Path
    confusion: Path


def check_model_name(name: str) -> str:
    """Return ``name`` if it can be a file stem and a registry slug.

    Raises:
        ConfigError: for anything but letters, digits, ``-`` and ``_`` (1 to 100 characters).
    """
    if not NAME_PATTERN.match(name):
        raise ConfigError(
            f"--name must be 1-100 letters, digits, '-' or '_' (starting with a letter or digit), "
            f"got {name!r}"
        )
    return name


def default_model_name(
    sizes: tuple[int, ...] | list[int],
    activation: str,
    accuracy: float,
    architecture: str | None = None,
    augmented: bool = False,
) -> str:
    """The seed's naming scheme: ``mnist-<sizes>-<activation>-<floor of test accuracy %>``.

    Other architectures are named by their layers (dots become ``p``, names are slugs), and
    ``-aug`` marks a network trained with augmentation.

    >>> default_model_name((784, 100, 10), "relu", 97.93)
    'mnist-784-100-10-relu-97'
    >>> default_model_name((), "relu", 99.45, "conv3x3x16-pool2-dense100-dropout0.3-dense10", True)
    'mnist-conv3x3x16-pool2-dense100-dropout0p3-dense10-relu-aug-99'
    """
    shape = architecture.replace(".", "p") if architecture else "-".join(str(s) for s in sizes)
    suffix = "-aug" if augmented else ""
    return f"mnist-{shape}-{activation}{suffix}-{math.floor(accuracy)}"


def _split_arrays(split: Split, limit: int | None = None) -> tuple[npt.NDArray[Any], ...]:
    if limit is None:
        return split.images, split.labels
    return split.images[:limit], split.labels[:limit]


def evaluate(network: Sequential, split: Split) -> tuple[float, float, npt.NDArray[np.int64]]:
    """Accuracy (percent), mean loss and confusion matrix of ``network`` on a split."""
    prediction = network.predict(split.images)
    matrix = metrics.confusion_matrix(prediction.digits, split.labels)
    acc = metrics.accuracy(prediction.digits, split.labels)
    loss = float(network.loss(split.images, split.labels))
    return acc, loss, matrix


def run_training(
    config: TrainingConfig,
    splits: MnistSplits,
    *,
    on_batch: BatchCallback | None = None,
    on_epoch: EpochCallback | None = None,
) -> TrainingResult:
    """Train a network, keeping the weights of the best validation epoch, and test them.

    Ctrl-C (``KeyboardInterrupt``, also when raised by a callback) ends training cleanly: the
    best checkpoint so far is evaluated and returned with ``interrupted=True``.

    Args:
        config: the run's configuration (validated here again).
        splits: MNIST train / validation / test splits.
        on_batch: called after every mini-batch with ``(batches_done, batches_total)``.
        on_epoch: called after every epoch with the report and whether that epoch is the new best;
            return ``False`` to stop training early.

    Returns:
        The result, holding the best network and every metric.

    Raises:
        ConfigError: for an invalid configuration.
        TrainingDiverged: when the loss becomes NaN/infinite (the caller writes nothing).
        NothingToSave: when interrupted before the first epoch finished.
    """
    config.validate()
    seed = config.seed if config.seed is not None else secrets.randbelow(2**31)
    config = dataclasses.replace(config, seed=seed)

    network = config.build_network(seed)
    train_x, train_y = _split_arrays(splits.train, config.limit_train)
    validation = (splits.validation.images, splits.validation.labels)

    history: list[dict[str, Any]] = []
    best = _Checkpoint()
    stopped_early = False

    def epoch_hook(report: EpochReport) -> bool | None:
        nonlocal stopped_early
        history.append(
            {
                "epoch": report.epoch,
                "train_loss": float(report.train_loss),
                "validation_accuracy": _opt_float(report.validation_accuracy),
                "validation_loss": _opt_float(report.validation_loss),
                "learning_rate": float(report.learning_rate),
                "seconds": float(report.seconds),
            }
        )
        is_best = best.improves_on(report.validation_accuracy)
        if is_best:
            # A copy, because training goes on changing `network` in place.
            best.network = network.copy()
            best.epoch = report.epoch
            best.accuracy = _opt_float(report.validation_accuracy)
        verdict = on_epoch(report, is_best) if on_epoch is not None else None
        if verdict is False:
            stopped_early = True
        return verdict

    interrupted = False
    started = time.perf_counter()
    try:
        network.train(
            (train_x, train_y),
            config.epochs,
            config.mini_batch_size,
            config.learning_rate,
            validation_data=validation,
            optimizer=config.optimizer,
            momentum=config.momentum,
            l2=config.l2,
            schedule=None if config.schedule == "constant" else config.schedule,
            augment=Augmenter() if config.augment else None,
            on_batch=on_batch,
            on_epoch=epoch_hook,
            verbose=False,
        )
    except KeyboardInterrupt:
        interrupted = True
    train_seconds = time.perf_counter() - started

    best_network = best.network
    if best_network is None:
        raise NothingToSave("training was interrupted before the first epoch finished")

    test_accuracy, test_loss, matrix = evaluate(best_network, splits.test)
    train_prediction = best_network.predict(train_x)
    return TrainingResult(
        config=config,
        network=best_network,
        history=history,
        best_epoch=best.epoch,
        best_validation_accuracy=best.accuracy,
        interrupted=interrupted,
        train_seconds=train_seconds,
        train_samples=len(train_y),
        dataset_checksums=dict(splits.checksums),
        test_accuracy=test_accuracy,
        test_loss=test_loss,
        train_accuracy=metrics.accuracy(train_prediction.digits, train_y),
        per_class_accuracy=metrics.per_class_accuracy(matrix),
        confusion_matrix=matrix,
        epochs_completed=len(history),
        stopped_early=stopped_early,
    )


def _opt_float(value: float | None) -> float | None:
    return None if value is None else float(value)


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
            f"{config.architecture} {config.activation} {kind} trained on MNIST "
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
                "checksums": result.dataset_checksums,
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
    result: TrainingResult, output_dir: Path, name: str | None = None, description: str = ""
) -> ModelFiles:
    """Write ``<name>.safetensors``, ``<name>.json``, ``<name>.png`` and ``<name>-confusion.png``.

    Args:
        result: a finished (or interrupted) run.
        output_dir: the directory (created when missing).
        name: the file stem; default :func:`default_model_name`.
        description: a one-line description for the metadata (a default is generated).

    Returns:
        The paths written.
    """
    name = (
        check_model_name(name)
        if name
        else default_model_name(
            result.config.sizes,
            result.config.activation,
            result.test_accuracy,
            None
            if result.config.layers is None and not result.config.dropout
            else result.config.architecture,
            result.config.augment,
        )
    )
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
        name=name, weights=weights, metadata=metadata, curves=curves, confusion=confusion
    )
