"""Recording a run's callbacks: metric rows, status, lease, cancel (real training, small data)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nn_core.hyperparameters import Hyperparameters
from nn_core.network import EpochReport
from runs.models import RunMetric, RunStatus, TrainingRun
from runs.recording import RunRecorder, start_cli_run
from training.checkpoints import load_checkpoint
from training.run import NothingToSave, run_training

pytestmark = [pytest.mark.mnist, pytest.mark.django_db]


def tiny(**changes: Any) -> Hyperparameters:
    values: dict[str, Any] = {"epochs": 2, "limit_train": 2000, "seed": 3}
    values.update(changes)
    return Hyperparameters(**values)


def train(recorder: RunRecorder, config: Hyperparameters, splits: Any, **hooks: Any) -> Any:
    try:
        result = run_training(
            config,
            splits,
            on_progress=recorder.on_progress,
            on_epoch=hooks.get("on_epoch", recorder.on_epoch),
            checkpoint_path=hooks.get("checkpoint_path"),
        )
    except NothingToSave as exc:
        recorder.failed(exc)
        return None
    recorder.finished(result, None)
    return result


def test_a_recorded_run_has_its_curves_status_and_results(mnist_splits: Any) -> None:
    config = tiny()
    recorder = start_cli_run(config, "cli")
    run = recorder.run
    assert TrainingRun.objects.get(pk=run.pk).status == RunStatus.RUNNING
    result = train(recorder, config, mnist_splits)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert run.finished_at is not None
    assert run.lease_expires_at is None
    assert run.epochs_completed == 2
    assert run.hyperparameters["seed"] == 3
    assert run.test_metrics is not None
    assert run.test_metrics["test_accuracy"] == pytest.approx(result.test_accuracy)
    assert run.confusion_matrix is not None
    assert len(run.confusion_matrix) == 10
    assert "epoch 2:" in run.log_tail
    losses = list(
        RunMetric.objects.filter(run=run, name="train_loss").values_list("epoch", "step", "value")
    )
    assert [(e, s) for e, s, _ in losses] == [(1, 2000), (2, 4000)]
    assert [v for *_, v in losses] == pytest.approx([h["train_loss"] for h in result.history])
    names = set(RunMetric.objects.filter(run=run).values_list("name", flat=True))
    assert {"validation_accuracy", "validation_loss", "learning_rate", "epoch_seconds"} <= names


def test_beats_record_seconds_and_throughput(mnist_splits: Any) -> None:
    config = tiny(epochs=2, limit_train=50000)
    recorder = start_cli_run(config, "cli")
    train(recorder, config, mnist_splits)
    seconds = list(
        RunMetric.objects.filter(run=recorder.run, name="seconds").values_list("value", flat=True)
    )
    rates = list(
        RunMetric.objects.filter(run=recorder.run, name="examples_per_second").values_list(
            "value", flat=True
        )
    )
    assert seconds, "a run of more than half a second beats"
    assert seconds == sorted(seconds)
    assert len(rates) == len(seconds) - 1
    assert all(rate > 1000 for rate in rates)


def test_a_cancel_request_stops_the_run_and_keeps_its_curves(mnist_splits: Any) -> None:
    config = tiny(epochs=20, limit_train=20000)
    recorder = start_cli_run(config, "cli")

    def on_epoch(report: EpochReport, is_best: bool) -> None:
        if report.epoch == 1:  # someone presses "cancel" in the admin as the epoch ends
            TrainingRun.objects.filter(pk=recorder.run.pk).update(cancel_requested=True)
        recorder.on_epoch(report, is_best)

    result = train(recorder, config, mnist_splits, on_epoch=on_epoch)
    run = TrainingRun.objects.get(pk=recorder.run.pk)
    assert run.status == RunStatus.CANCELLED
    assert result.stop_reason == "cancelled"
    # Seen at the end of epoch 1 (or at a beat: tests/runs/test_workers.py); the epoch's rows stay.
    assert result.epochs_completed == 1
    assert RunMetric.objects.filter(run=run, name="train_loss").count() == 1


def test_a_cancel_before_the_first_epoch_ends_cancelled_without_files(mnist_splits: Any) -> None:
    config = tiny(epochs=1, limit_train=50000)
    recorder = start_cli_run(config, "cli")
    TrainingRun.objects.filter(pk=recorder.run.pk).update(cancel_requested=True)
    assert train(recorder, config, mnist_splits) is None
    run = TrainingRun.objects.get(pk=recorder.run.pk)
    assert run.status == RunStatus.CANCELLED
    assert run.model_files == []


def test_a_lost_lease_stops_the_run_and_leaves_it_interrupted(
    mnist_splits: Any, tmp_path: Path
) -> None:
    config = tiny(epochs=5)
    recorder = start_cli_run(config, "cli")
    checkpoint = tmp_path / "checkpoint.npz"

    def on_epoch(report: EpochReport, is_best: bool) -> None:
        if report.epoch == 2:  # the sweeper decided this process was gone
            TrainingRun.objects.filter(pk=recorder.run.pk).update(status=RunStatus.INTERRUPTED)
        recorder.on_epoch(report, is_best)

    result = train(recorder, config, mnist_splits, on_epoch=on_epoch, checkpoint_path=checkpoint)
    assert result.stop_reason == "lease lost"
    # The epoch that found the lease lost is not checkpointed: the run may be another's now.
    assert load_checkpoint(checkpoint).loop.epoch == 1
    assert result.epochs_completed == 2
    run = TrainingRun.objects.get(pk=recorder.run.pk)
    assert run.status == RunStatus.INTERRUPTED
    assert run.finished_at is None  # finished() did not overwrite the sweeper's verdict
