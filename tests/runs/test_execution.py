"""Executing queued runs in this process: claim once, checkpoints, resume, sweep, cancel."""

from __future__ import annotations

import os
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from nn_core.hyperparameters import Hyperparameters
from nn_core.model_files import load_model
from nn_core.network import EpochReport
from runs import services
from runs.execution import CHECKPOINT_NAME, execute_run
from runs.files import run_directory
from runs.lifecycle import sweep_lapsed_runs
from runs.models import RunMetric, RunStatus, TrainingRun
from runs.recording import RunRecorder

pytestmark = [pytest.mark.mnist, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def runs_dir(settings: Any, tmp_path: Path) -> Path:
    settings.HIPPO_RUNS_DIR = tmp_path / "runs"
    return Path(settings.HIPPO_RUNS_DIR)


def tiny(**changes: Any) -> Hyperparameters:
    values: dict[str, Any] = {"sizes": (784, 32, 10), "epochs": 3, "limit_train": 1000, "seed": 7}
    values.update(changes)
    return Hyperparameters(**values)


def weights_of(run: TrainingRun) -> list[Any]:
    (weights,) = [e["path"] for e in run.model_files if e["path"].endswith(".safetensors")]
    return list(load_model(Path(weights)).network.parameters())


def test_create_run_queues_a_task_for_the_worker(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run = services.create_run(tiny(), user=None, tags=["a"])
    assert run.status == RunStatus.QUEUED
    task = DBTaskResult.objects.get()
    assert task.task_path == "runs.tasks.train_run"
    assert task.args_kwargs["args"] == [run.pk]


def test_a_queued_run_is_executed_once(mnist_splits: Any) -> None:
    run = services.create_run(tiny(), user=None)
    assert execute_run(run.pk, "worker-a") == "succeeded"
    assert execute_run(run.pk, "worker-b") == "not claimed"
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert run.worker_id == "worker-a"
    assert run.attempts == 1
    assert run.machine
    assert (run_directory(run.pk) / CHECKPOINT_NAME).is_file()
    assert len(run.model_files) == 4
    assert all(Path(entry["path"]).parent == run_directory(run.pk) for entry in run.model_files)
    assert RunMetric.objects.filter(run=run, name="train_loss").count() == 3


def test_a_stopped_worker_leaves_the_run_interrupted_and_a_resume_finishes_it_identically(
    mnist_splits: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = services.create_run(tiny(), user=None)
    execute_run(whole.pk, "w")
    whole.refresh_from_db()

    original = RunRecorder.on_epoch

    def sigterm_after_epoch_one(self: RunRecorder, report: EpochReport, best: bool) -> None:
        if report.epoch == 1:
            os.kill(os.getpid(), signal.SIGTERM)  # as the worker's Ctrl-C or systemd would
        original(self, report, best)

    monkeypatch.setattr(RunRecorder, "on_epoch", sigterm_after_epoch_one)
    run = services.create_run(tiny(), user=None)
    assert execute_run(run.pk, "w") == "interrupted"
    run.refresh_from_db()
    assert run.status == RunStatus.INTERRUPTED
    assert run.epochs_completed == 1
    assert run.model_files == []
    monkeypatch.setattr(RunRecorder, "on_epoch", original)

    services.resume_run(run)
    assert execute_run(run.pk, "w2") == "succeeded"
    run.refresh_from_db()
    assert run.attempts == 2
    assert "resuming after epoch 1" in run.log_tail
    assert list(
        RunMetric.objects.filter(run=run, name="train_loss").values_list("epoch", flat=True)
    ) == [1, 2, 3]
    for mine, theirs in zip(weights_of(run), weights_of(whole), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert run.test_metrics is not None
    assert whole.test_metrics is not None
    assert run.test_metrics["test_accuracy"] == whole.test_metrics["test_accuracy"]
    assert run.test_metrics["test_loss"] == whole.test_metrics["test_loss"]


def test_the_sweeper_interrupts_runs_whose_lease_lapsed() -> None:
    config = tiny()
    common = {"hyperparameters": config.to_dict(), "source": "api", "status": RunStatus.RUNNING}
    lapsed = TrainingRun.objects.create(
        **common, lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    alive = TrainingRun.objects.create(
        **common, lease_expires_at=timezone.now() + timedelta(seconds=30)
    )
    assert sweep_lapsed_runs() == [lapsed.pk]
    lapsed.refresh_from_db()
    alive.refresh_from_db()
    assert lapsed.status == RunStatus.INTERRUPTED
    assert "lease" in lapsed.error
    assert alive.status == RunStatus.RUNNING


def test_cancel_and_resume_follow_the_status() -> None:
    run = services.create_run(tiny(), user=None)
    services.request_cancel(run)
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert execute_run(run.pk, "w") == "not claimed"
    with pytest.raises(services.RunStateError):
        services.request_cancel(run)
    with pytest.raises(services.RunStateError):
        services.resume_run(run)


def test_a_run_whose_cancel_was_ticked_while_queued_never_trains() -> None:
    run = services.create_run(tiny(), user=None)
    TrainingRun.objects.filter(pk=run.pk).update(cancel_requested=True)
    assert execute_run(run.pk, "w") == "cancelled"
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert not RunMetric.objects.filter(run=run).exists()
