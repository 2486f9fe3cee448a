"""Epoch checkpoints and resume: a stopped seeded run, resumed, ends with the weights of a run
left alone; progress beats; StopTraining keeps the best epoch."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nn_core.hyperparameters import Hyperparameters
from nn_core.training_loop import LoopState
from training.checkpoints import CheckpointError, load_checkpoint
from training.run import Progress, StopTraining, run_training

pytestmark = pytest.mark.mnist


def config(**changes: Any) -> Hyperparameters:
    values: dict[str, Any] = {
        "sizes": (784, 30, 10),
        "epochs": 3,
        "limit_train": 1000,
        "seed": 5,
        "schedule": "cosine",
    }
    values.update(changes)
    return Hyperparameters(**values)


def stop_in_epoch(epoch: int) -> Any:
    """An on_batch callback that stops the run at the third batch of ``epoch`` (as a crash would:
    the last checkpoint is the previous epoch's)."""
    seen = {"epoch": 1}

    def on_batch(done: int, total: int) -> None:
        if done == total:
            seen["epoch"] += 1
        elif seen["epoch"] == epoch and done == 3:
            raise StopTraining("killed")

    return on_batch


def parameters_equal(a: list[list[Any]], b: list[list[Any]]) -> bool:
    return all(
        np.array_equal(x, y)
        for ga, gb in zip(a, b, strict=True)
        for x, y in zip(ga, gb, strict=True)
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"optimizer": "momentum"},
        {"optimizer": "adam", "learning_rate": 0.001},
        # Dropout and augmentation draw from the generator: its state must be restored too.
        {"optimizer": "sgd", "learning_rate": 0.1, "dropout": 0.2, "augment": True},
    ],
    ids=["momentum", "adam", "sgd-dropout-augment"],
)
def test_a_resumed_run_ends_with_the_weights_of_an_uninterrupted_one(
    mnist_splits: Any, tmp_path: Path, changes: dict[str, Any]
) -> None:
    cfg = config(**changes)
    whole = run_training(cfg, mnist_splits, checkpoint_path=tmp_path / "whole.npz")

    stopped = run_training(
        cfg, mnist_splits, on_batch=stop_in_epoch(2), checkpoint_path=tmp_path / "part.npz"
    )
    assert stopped.interrupted
    assert stopped.stop_reason == "killed"
    assert stopped.epochs_completed == 1
    checkpoint = load_checkpoint(tmp_path / "part.npz")
    assert checkpoint.loop.epoch == 1

    resumed = run_training(
        cfg, mnist_splits, resume=checkpoint, checkpoint_path=tmp_path / "part.npz"
    )
    assert not resumed.interrupted
    assert resumed.epochs_completed == 3
    final_whole = load_checkpoint(tmp_path / "whole.npz")
    final_resumed = load_checkpoint(tmp_path / "part.npz")
    assert final_resumed.loop.epoch == 3
    assert parameters_equal(final_whole.parameters, final_resumed.parameters)
    assert resumed.best_epoch == whole.best_epoch
    assert parameters_equal(
        [list(layer.params) for layer in whole.network.parameter_layers],
        [list(layer.params) for layer in resumed.network.parameter_layers],
    )
    assert resumed.test_accuracy == whole.test_accuracy

    def without_time(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in entry.items() if k != "seconds"} for entry in history]

    assert without_time(resumed.history) == without_time(whole.history)


def test_resuming_without_the_optimizer_and_generator_state_differs(
    mnist_splits: Any, tmp_path: Path
) -> None:
    # The comparison above can fail: going on from epoch 1's weights with a fresh optimizer
    # (momentum's velocities zero) and another generator state gives other weights.
    cfg = config()
    whole = run_training(cfg, mnist_splits)
    run_training(cfg, mnist_splits, on_batch=stop_in_epoch(2), checkpoint_path=tmp_path / "p.npz")
    checkpoint = load_checkpoint(tmp_path / "p.npz")
    velocities = [np.zeros_like(v) for v in checkpoint.loop.optimizer["velocities"]]
    forgetful = dataclasses.replace(
        checkpoint,
        loop=LoopState(
            1, {"velocities": velocities}, dict(np.random.default_rng(0).bit_generator.state)
        ),
    )
    resumed = run_training(cfg, mnist_splits, resume=forgetful)
    assert resumed.epochs_completed == 3
    assert not parameters_equal(
        [list(layer.params) for layer in whole.network.parameter_layers],
        [list(layer.params) for layer in resumed.network.parameter_layers],
    )


def test_a_broken_checkpoint_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.npz"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "missing.npz")


def test_progress_beats_are_at_most_every_half_second(mnist_splits: Any) -> None:
    beats: list[Progress] = []
    result = run_training(
        config(epochs=2, limit_train=50000, sizes=(784, 100, 10)),
        mnist_splits,
        on_progress=beats.append,
    )
    assert result.epochs_completed == 2
    assert beats, "a run of a few seconds beats"
    gaps = [b.seconds - a.seconds for a, b in itertools.pairwise(beats)]
    assert all(gap >= 0.5 for gap in gaps)
    seen = [beat.examples_seen for beat in beats]
    assert seen == sorted(seen)
    assert 0 < seen[-1] <= 2 * 50000
    assert all(beat.epochs == 2 and 1 <= beat.epoch <= 2 for beat in beats)


def test_stop_training_from_a_beat_keeps_the_best_epoch(mnist_splits: Any) -> None:
    def cancel(progress: Progress) -> None:
        if progress.epoch == 2:
            raise StopTraining("cancelled")

    result = run_training(
        config(epochs=5, limit_train=50000, sizes=(784, 100, 10)),
        mnist_splits,
        on_progress=cancel,
    )
    assert result.interrupted
    assert result.stop_reason == "cancelled"
    assert result.epochs_completed == 1
    assert result.best_epoch == 1
