"""One training run: build the network, train it keeping the best validation epoch, test it.

Ctrl-C (or :class:`StopTraining` raised by a callback) ends a run cleanly with the best checkpoint
so far. The run is bit-reproducible: the same configuration with the same seed gives the same
weights and metrics on the same machine, also when it was stopped after an epoch and resumed
from its checkpoint file (:mod:`training.checkpoints`).

Callers watch a run through callbacks: ``on_batch`` after every mini-batch, ``on_epoch`` after
every epoch, and ``on_progress``, a beat at most every :data:`BEAT_SECONDS` (examples seen,
seconds), cheap enough to check a cancel request or renew a lease from.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nn_core.augmentation import Augmenter
from nn_core.hyperparameters import SEED_LIMIT
from nn_core.mnist import MnistSplits, Split
from nn_core.network import EpochReport, NeuralNetwork
from nn_core.sequential import Sequential
from nn_core.training_loop import TRAINING_BLAS_THREADS, LoopState, limit_blas_threads
from training import metrics
from training.checkpoints import RunCheckpoint, save_checkpoint
from training.config import TrainingConfig

BEAT_SECONDS = 0.5
"""The least time between two progress beats."""


@dataclass(frozen=True)
class Progress:
    """A progress beat.

    Attributes:
        epoch: The epoch in progress (1-based).
        epochs: Epochs in the run.
        batch: Mini-batches done in this epoch.
        batches: Mini-batches in an epoch.
        examples_seen: Training examples processed since the run began (every epoch).
        seconds: Training time since the run began (every attempt, for a resumed run).
    """

    epoch: int
    epochs: int
    batch: int
    batches: int
    examples_seen: int
    seconds: float


BatchCallback = Callable[[int, int], None]
EpochCallback = Callable[[EpochReport, bool], bool | None]
ProgressCallback = Callable[[Progress], None]


class StopTraining(Exception):  # noqa: N818 - reads as a sentence: "raise StopTraining"
    """Raised by a callback to end the run now, keeping the best epoch (like Ctrl-C).

    Attributes:
        reason: Why, in one word the caller records (e.g. ``"cancelled"``).
        save_checkpoint: Whether the epoch checkpoint of an epoch that ends with this stop is
            still written (False when the run is no longer this process's to write).
    """

    def __init__(self, reason: str, *, save_checkpoint: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.save_checkpoint = save_checkpoint


class NothingToSave(RuntimeError):  # noqa: N818 - reads as a sentence: "raise NothingToSave"
    """Training stopped (Ctrl-C) before the first epoch finished: there is no checkpoint.

    Attributes:
        reason: The stop's reason (``"interrupted"`` for Ctrl-C, or a StopTraining's).
    """

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


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
    stop_reason: str | None = None  # "interrupted" (Ctrl-C) or a StopTraining's reason


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
    on_progress: ProgressCallback | None = None,
    checkpoint_path: Path | None = None,
    resume: RunCheckpoint | None = None,
) -> TrainingResult:
    """Train a network, keeping the weights of the best validation epoch, and test them.

    Ctrl-C (``KeyboardInterrupt``, also when raised by a callback) or :class:`StopTraining`
    raised by a callback ends training cleanly: the best checkpoint so far is evaluated and
    returned with ``interrupted=True`` and ``stop_reason`` set.

    Args:
        config: the run's configuration (validated here again); with ``resume``, the
            checkpoint's configuration is used.
        splits: MNIST train / validation / test splits.
        on_batch: called after every mini-batch with ``(batches_done, batches_total)``.
        on_epoch: called after every epoch with the report and whether that epoch is the new best;
            return ``False`` to stop training early.
        on_progress: called at most every :data:`BEAT_SECONDS` during an epoch.
        checkpoint_path: rewrite this checkpoint file after every epoch (for a resume).
        resume: go on from this checkpoint (its epochs and history are kept).

    Returns:
        The result, holding the best network and every metric.

    Raises:
        ConfigError: for an invalid configuration.
        TrainingDiverged: when the loss becomes NaN/infinite (the caller writes nothing).
        NothingToSave: when interrupted before the first epoch finished.
    """
    if resume is not None:
        config = resume.config
    config.validate()
    seed = config.seed if config.seed is not None else secrets.randbelow(SEED_LIMIT // 2)
    config = dataclasses.replace(config, seed=seed)

    network = build_network(config, seed)
    train_x, train_y = _split_arrays(splits.train, config.limit_train)
    validation = (splits.validation.images, splits.validation.labels)

    history: list[dict[str, Any]] = []
    best = _Checkpoint()
    stopped_early = False
    stop_after_epoch: list[StopTraining] = []
    earlier_seconds = 0.0
    if resume is not None:
        network.load_parameters(resume.parameters)
        best.network = build_network(config, seed)
        best.network.load_parameters(resume.best_parameters)
        best.epoch, best.accuracy = resume.best_epoch, resume.best_accuracy
        history = [dict(entry) for entry in resume.history]
        earlier_seconds = resume.train_seconds
    first_epoch = resume.loop.epoch + 1 if resume is not None else 1
    current_epoch = first_epoch
    examples = len(train_y)
    started = time.perf_counter()
    # The first batch beats at once: the run shows it started, and a cancel asked for while it
    # was queued stops it before any work, however short its epochs.
    last_beat = started - BEAT_SECONDS

    def batch_hook(done: int, total: int) -> None:
        nonlocal last_beat
        if on_batch is not None:
            on_batch(done, total)
        if on_progress is None:
            return
        now = time.perf_counter()
        if now - last_beat < BEAT_SECONDS:
            return
        last_beat = now
        seen = (current_epoch - 1) * examples + min(done * config.mini_batch_size, examples)
        on_progress(
            Progress(
                current_epoch, config.epochs, done, total, seen, earlier_seconds + now - started
            )
        )

    def epoch_hook(report: EpochReport) -> bool | None:
        nonlocal stopped_early, current_epoch
        current_epoch = report.epoch + 1
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
        try:
            verdict = on_epoch(report, is_best) if on_epoch is not None else None
        except StopTraining as stop:
            # Stop after this epoch's checkpoint is written (the loop saves it after on_epoch).
            stop_after_epoch.append(stop)
            return False
        if verdict is False:
            stopped_early = True
        return verdict

    def checkpoint_hook(loop: LoopState) -> None:
        if checkpoint_path is None or best.network is None:
            return
        if stop_after_epoch and not stop_after_epoch[0].save_checkpoint:
            return
        save_checkpoint(
            RunCheckpoint(
                config=config,
                loop=loop,
                parameters=_parameters(network),
                best_parameters=_parameters(best.network),
                best_epoch=best.epoch,
                best_accuracy=best.accuracy,
                history=history,
                train_seconds=earlier_seconds + time.perf_counter() - started,
            ),
            checkpoint_path,
        )

    interrupted = False
    stop_reason: str | None = None
    if first_epoch <= config.epochs:
        try:
            network.fit(
                (train_x, train_y),
                config,
                validation_data=validation,
                augment=Augmenter() if config.augment else None,
                on_batch=batch_hook if on_progress is not None else on_batch,
                on_epoch=epoch_hook,
                resume=resume.loop if resume is not None else None,
                on_checkpoint=checkpoint_hook if checkpoint_path is not None else None,
            )
        except KeyboardInterrupt:
            interrupted, stop_reason = True, "interrupted"
        except StopTraining as stop:
            interrupted, stop_reason = True, stop.reason
        if stop_after_epoch:
            interrupted, stop_reason = True, stop_after_epoch[0].reason
    train_seconds = earlier_seconds + time.perf_counter() - started

    best_network = best.network
    if best_network is None:
        raise NothingToSave(
            "training was interrupted before the first epoch finished", reason=stop_reason
        )

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
        stop_reason=stop_reason,
    )


def _parameters(network: Sequential) -> list[list[Any]]:
    return [list(layer.params) for layer in network.parameter_layers]


def _opt_float(value: float | None) -> float | None:
    return None if value is None else float(value)


__all__ = [
    "BEAT_SECONDS",
    "BatchCallback",
    "EpochCallback",
    "NothingToSave",
    "Progress",
    "ProgressCallback",
    "StopTraining",
    "TrainingResult",
    "build_network",
    "evaluate",
    "run_training",
]
