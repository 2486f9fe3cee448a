"""The runs' admin and deletion: list, filter, read curves; delete with files unless published."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from nn_core.hyperparameters import Hyperparameters
from registry.models import RegisteredModel
from runs.deletion import RunIsPublished, delete_run
from runs.files import describe_files, run_directory
from runs.models import RunMetric, RunStatus, Source, TrainingRun

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def runs_dir(settings: Any, tmp_path: Path) -> Path:
    settings.HIPPO_RUNS_DIR = tmp_path / "runs"
    return Path(settings.HIPPO_RUNS_DIR)


def make_run(**values: Any) -> TrainingRun:
    config = Hyperparameters(epochs=1, limit_train=100, seed=1)
    values.setdefault("source", Source.CLI)
    return TrainingRun.objects.create(
        hyperparameters=config.to_dict(), architecture=config.architecture, **values
    )


def with_files(run: TrainingRun) -> list[Path]:
    folder = run_directory(run.pk)
    folder.mkdir(parents=True)
    paths = [folder / "m.safetensors", folder / "m.json", folder / "checkpoint.npz"]
    for path in paths:
        path.write_bytes(b"x")
    run.model_files = describe_files(paths[:2])
    run.checkpoint_path = str(paths[2])
    run.save()
    return paths


def test_delete_removes_the_row_its_metrics_and_its_files(
    django_capture_on_commit_callbacks: Any,
) -> None:
    run = make_run(status=RunStatus.SUCCEEDED)
    RunMetric.objects.create(run=run, step=10, epoch=1, name="train_loss", value=0.5)
    paths = with_files(run)
    with django_capture_on_commit_callbacks(execute=True):
        delete_run(run)
    assert not TrainingRun.objects.exists()
    assert not RunMetric.objects.exists()
    assert not any(path.exists() for path in paths)
    assert not run_directory(run.pk).exists()


def test_a_published_run_cannot_be_deleted() -> None:
    model = RegisteredModel.objects.create(
        name="m", store="local", repo="x", filename="m.safetensors", metadata_filename="m.json"
    )
    run = make_run(status=RunStatus.SUCCEEDED, registered_model=model)
    paths = with_files(run)
    with pytest.raises(RunIsPublished):
        delete_run(run)
    assert TrainingRun.objects.filter(pk=run.pk).exists()
    assert all(path.exists() for path in paths)
    # Unregistering the model (SET_NULL) makes the run deletable again.
    model.delete()
    run.refresh_from_db()
    assert run.registered_model is None


def test_model_files_record_their_checksums(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"abc")
    (entry,) = describe_files([path, tmp_path / "missing"])
    assert entry == {
        "path": str(path),
        "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    }


def test_the_admin_lists_and_filters_runs(staff_client: Client) -> None:
    make_run(status=RunStatus.SUCCEEDED, tags=["baseline"])
    make_run(status=RunStatus.FAILED, tags=["wide"])
    url = reverse("admin:runs_trainingrun_changelist")
    page = staff_client.get(url)
    assert page.status_code == 200
    assert page.context["cl"].result_count == 2
    for query, count in (
        ({"status__exact": "failed"}, 1),
        ({"tag": "baseline"}, 1),
        ({"q": "784-100-10"}, 2),
        ({"q": "conv"}, 0),
    ):
        page = staff_client.get(url, query)
        assert page.status_code == 200
        assert page.context["cl"].result_count == count, query


def test_the_admin_change_page_shows_metrics_read_only(staff_client: Client) -> None:
    run = make_run(status=RunStatus.SUCCEEDED)
    RunMetric.objects.create(run=run, step=100, epoch=1, name="validation_accuracy", value=91.5)
    url = reverse("admin:runs_trainingrun_change", args=[run.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    assert b"validation_accuracy" in page.content
    # The record is read-only: a post changes only the editable fields.
    staff_client.post(
        url,
        {
            "tags": '["kept"]',
            "notes": "n",
            "cancel_requested": "on",
            "status": "succeeded",
            "metrics-TOTAL_FORMS": "1",
            "metrics-INITIAL_FORMS": "1",
            "metrics-MIN_NUM_FORMS": "0",
            "metrics-MAX_NUM_FORMS": "0",
            "metrics-0-id": str(run.metrics.get().pk),
            "metrics-0-run": str(run.pk),
        },
    )
    run.refresh_from_db()
    assert run.tags == ["kept"]
    assert run.cancel_requested is True
    assert run.status == RunStatus.SUCCEEDED


def test_the_admin_deletes_with_files_but_not_published_runs(
    staff_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    model = RegisteredModel.objects.create(
        name="m", store="local", repo="x", filename="m.safetensors", metadata_filename="m.json"
    )
    published = make_run(status=RunStatus.SUCCEEDED, registered_model=model)
    plain = make_run(status=RunStatus.FAILED)
    paths = with_files(plain)
    page = staff_client.get(reverse("admin:runs_trainingrun_delete", args=[published.pk]))
    assert page.status_code == 403
    changelist = reverse("admin:runs_trainingrun_changelist")
    refused = staff_client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [published.pk, plain.pk], "post": "yes"},
    )
    assert refused.status_code == 403
    assert TrainingRun.objects.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            changelist,
            {"action": "delete_selected", "_selected_action": [plain.pk], "post": "yes"},
        )
    assert list(TrainingRun.objects.values_list("pk", flat=True)) == [published.pk]
    assert not any(path.exists() for path in paths)


def test_the_admin_cancels_and_resumes_through_the_services(staff_client: Client) -> None:
    queued = make_run(status=RunStatus.QUEUED)
    done = make_run(status=RunStatus.SUCCEEDED)
    interrupted = make_run(status=RunStatus.INTERRUPTED)
    changelist = reverse("admin:runs_trainingrun_changelist")
    staff_client.post(
        changelist, {"action": "cancel_runs", "_selected_action": [queued.pk, done.pk]}
    )
    queued.refresh_from_db()
    done.refresh_from_db()
    assert queued.status == RunStatus.CANCELLED
    assert done.status == RunStatus.SUCCEEDED
    staff_client.post(changelist, {"action": "resume_runs", "_selected_action": [interrupted.pk]})
    interrupted.refresh_from_db()
    assert interrupted.status == RunStatus.QUEUED
