"""`train_mnist` records its run by default: status, curves, files; Ctrl-C keeps the curves."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from runs.models import RunMetric, RunStatus, Source, TrainingRun
from training.progress import EpochProgress

pytestmark = [pytest.mark.mnist, pytest.mark.django_db]

TINY = ["--sizes", "784", "32", "10", "--epochs", "2", "--limit-train", "2000", "--seed", "3"]


def train(tmp_path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command(
        "train_mnist", *TINY, *args, "--output", str(tmp_path), stdout=out, stderr=io.StringIO()
    )
    return out.getvalue()


def test_a_command_line_run_is_recorded_and_says_where(tmp_path: Path, mnist_splits: Any) -> None:
    out = train(tmp_path, "--name", "cli-run")
    run = TrainingRun.objects.get()
    assert f"recording as run {run.pk}: /admin/runs/trainingrun/{run.pk}/change/" in out
    assert run.source == Source.CLI
    assert run.status == RunStatus.SUCCEEDED
    assert run.architecture == "784-32-10"
    assert run.hyperparameters["epochs"] == 2
    assert run.hyperparameters["seed"] == 3
    assert run.epochs_completed == 2
    recorded = {Path(entry["path"]).name for entry in run.model_files}
    assert recorded == {
        "cli-run.safetensors",
        "cli-run.json",
        "cli-run.png",
        "cli-run-confusion.png",
    }
    assert all(len(entry["sha256"]) == 64 for entry in run.model_files)
    assert RunMetric.objects.filter(run=run, name="validation_accuracy").count() == 2


def test_no_record_leaves_no_run(tmp_path: Path, mnist_splits: Any) -> None:
    out = train(tmp_path, "--no-record")
    assert "recording as" not in out
    assert not TrainingRun.objects.exists()
    assert list(tmp_path.glob("*.safetensors"))


def test_ctrl_c_ends_the_run_cancelled_with_its_curves_and_files(
    tmp_path: Path, mnist_splits: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def ctrl_c_in_epoch_two(self: EpochProgress, done: int, total: int) -> None:
        if self.epoch == 2 and done == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(EpochProgress, "on_batch", ctrl_c_in_epoch_two)
    out = train(tmp_path, "--epochs", "3")
    assert "interrupted after 1 epoch(s)" in out
    run = TrainingRun.objects.get()
    assert run.status == RunStatus.CANCELLED
    assert run.epochs_completed == 1
    assert RunMetric.objects.filter(run=run, name="train_loss").count() == 1
    assert len(run.model_files) == 4  # the best checkpoint was written, as before


def test_ctrl_c_in_the_first_epoch_ends_cancelled(
    tmp_path: Path, mnist_splits: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def ctrl_c(self: EpochProgress, done: int, total: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(EpochProgress, "on_batch", ctrl_c)
    with pytest.raises(CommandError, match="nothing was written"):
        train(tmp_path)
    run = TrainingRun.objects.get()
    assert run.status == RunStatus.CANCELLED
    assert run.model_files == []


def test_a_diverged_run_is_failed_with_the_reason(tmp_path: Path, mnist_splits: Any) -> None:
    with pytest.raises(CommandError, match="training diverged"):
        train(tmp_path, "--learning-rate", "1e6", "--optimizer", "sgd", "--schedule", "constant")
    run = TrainingRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert "learning rate" in run.error
    assert run.finished_at is not None
