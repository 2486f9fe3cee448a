"""One training run: build the network, train it keeping the best validation epoch, test it.

Ctrl-C ends a run cleanly with the best checkpoint so far. The run is bit-reproducible: the
same configuration with the same seed gives the same weights and metrics on the same machine.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from nn_core.augmentation import Augmenter
from nn_core.hyperparameters import SEED_LIMIT
from nn_core.mnist import MnistSplits, Split
from nn_core.network import EpochReport, NeuralNetwork
from nn_core.sequential import Sequential
from nn_core.training_loop import TRAINING_BLAS_THREADS, limit_blas_threads
from training import metrics
from training.config import TrainingConfig

BatchCallback = Callable[[int, int], None]
EpochCallback = Callable[[EpochReport, bool], bool | None]


class NothingToSave(RuntimeError):  # noqa: N818 - reads as a sentence: "raise NothingToSave"
    """Training stopped (Ctrl-C) before the first epoch finished: there is no checkpoint."""


def build_network(config: TrainingConfig, seed: int | None) -> Sequential:
    """A freshly initialised network of the configuration's architecture.

    A plain MLP is a :class:`~nn_core.network.NeuralNetwork` (with ``weights`` and
    ``biases``), any other architecture a :class:`~nn_core.sequential.Sequential`.
    """
    if config.is_plain_mlp:
        return NeuralNetwork(
            list(config.sizes), config.activation, config.output, config.cost, seed=seed
        )
    return Sequential(
        config.layer_specs(), config.input_shape, config.output, config.cost, seed=seed
    )


@dataclass
class TrainingResult:
    """The outcome of one run: the best-validation network, its metrics and the history."""

    config: TrainingConfig  # with the random seed actually used (never None)
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
    seed = config.seed if config.seed is not None else secrets.randbelow(SEED_LIMIT // 2)
    config = dataclasses.replace(config, seed=seed)

    network = build_network(config, seed)
    train_x, train_y = _split_arrays(splits.train, config.limit_train)
    validation = (splits.validation.images, splits.validation.labels)

    history: list[dict[str, Any]] = []
    best = _Checkpoint()
    stopped_early = False

    def epoch_hook(report: EpochReport) -> bool | None:
        nonlocal stopped_early
        entry: dict[str, Any] = {
            "epoch": report.epoch,
            "train_loss": float(report.train_loss),
            "validation_accuracy": _opt_float(report.validation_accuracy),
            "validation_loss": _opt_float(report.validation_loss),
            "learning_rate": float(report.learning_rate),
            "seconds": float(report.seconds),
        }
        if report.gradient_norm is not None:
            # Only clipped runs measure it; other runs' history keeps its original keys.
            entry["gradient_norm"] = float(report.gradient_norm)
            entry["clipped_fraction"] = _opt_float(report.clipped_fraction)
        history.append(entry)
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
        network.fit(
            (train_x, train_y),
            config,
            validation_data=validation,
            augment=Augmenter() if config.augment else None,
            on_batch=on_batch,
            on_epoch=epoch_hook,
        )
    except KeyboardInterrupt:
        interrupted = True
    train_seconds = time.perf_counter() - started

    best_network = best.network
    if best_network is None:
        raise NothingToSave("training was interrupted before the first epoch finished")

    # The final evaluation is capped at the training loop's BLAS threads too: a recurrent
    # network's per-step products are small, and on a busy machine a second BLAS thread waiting
    # for a core made the test and train passes of an LSTM take minutes instead of seconds.
    with limit_blas_threads(TRAINING_BLAS_THREADS):
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


__all__ = [
    "BatchCallback",
    "EpochCallback",
    "NothingToSave",
    "TrainingResult",
    "build_network",
    "evaluate",
    "run_training",
]
