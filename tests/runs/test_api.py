"""The runs API in process: who may do what, validation, the envelope, filters, polling."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from nn_core.hyperparameters import Hyperparameters
from runs.models import RunMetric, RunStatus, TrainingRun

pytestmark = pytest.mark.django_db

TINY = {"sizes": [784, 16, 10], "epochs": 1, "limit_train": 2000, "seed": 1}


def make_run(**values: Any) -> TrainingRun:
    config = Hyperparameters(epochs=1, seed=1)
    values.setdefault("source", "api")
    return TrainingRun.objects.create(
        hyperparameters=config.to_dict(), architecture=config.architecture, **values
    )


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return dict(body["error"])


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/runs", {"hyperparameters": TINY}),
        ("/runs/{id}/cancel", None),
        ("/runs/{id}/resume", None),
    ],
)
def test_anonymous_users_cannot_create_cancel_or_resume(
    client: Client, path: str, body: Any
) -> None:
    run = make_run(status=RunStatus.RUNNING)
    response = client.post(path.format(id=run.pk), body, content_type="application/json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "not_authenticated"
    assert TrainingRun.objects.count() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    assert not run.cancel_requested


def test_signed_in_users_who_are_not_staff_cannot_create(
    client: Client, django_user_model: Any
) -> None:
    client.force_login(django_user_model.objects.create_user("learner", password=None))
    response = client.post("/runs", {"hyperparameters": TINY}, content_type="application/json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert not TrainingRun.objects.exists()


def test_a_staff_session_needs_the_csrf_token(django_user_model: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.create_user("boss", password=None, is_staff=True))
    response = client.post("/runs", {"hyperparameters": TINY}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in error_of(response)["message"]


def test_staff_queue_a_run(staff_client: Client, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/runs",
            {"hyperparameters": TINY, "tags": ["tiny", "tiny", " a "], "notes": "first"},
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    body = response.json()
    run = TrainingRun.objects.get(pk=body["id"])
    assert body["status"] == "queued"
    assert body["architecture"] == "784-16-10"
    assert body["tags"] == ["tiny", "a"]
    assert run.created_by is not None
    assert run.created_by.username == "staff"
    assert run.hyperparameters == Hyperparameters.from_dict(TINY).to_dict()
    assert DBTaskResult.objects.get().args_kwargs["args"] == [run.pk]


@pytest.mark.parametrize(
    ("hyperparameters", "field", "reason"),
    [
        ({"epochs": 0}, "hyperparameters.epochs", "must be a positive integer, got 0"),
        ({"sizes": [784, 10, 9]}, "hyperparameters.sizes", "must end with 10"),
        ({"batch": 3}, "hyperparameters.batch", "is not a hyperparameter"),
        ({"optimizer": "rmsprop"}, "hyperparameters.optimizer", "must be one of"),
        ({"layers": "conv"}, "hyperparameters.layers", "must be a list of layer specs"),
    ],
)
def test_invalid_hyperparameters_are_a_400_naming_the_field(
    staff_client: Client, hyperparameters: dict[str, Any], field: str, reason: str
) -> None:
    response = staff_client.post(
        "/runs", {"hyperparameters": hyperparameters}, content_type="application/json"
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_input"
    assert reason in error["fields"][field][0]
    assert not TrainingRun.objects.exists()


def test_unknown_body_fields_are_refused(staff_client: Client) -> None:
    response = staff_client.post(
        "/runs", {"hyperparameters": TINY, "epochs": 3}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "epochs" in error_of(response)["fields"]


def test_list_filter_and_detail(client: Client) -> None:
    done = make_run(status=RunStatus.SUCCEEDED, tags=["a"])
    make_run(status=RunStatus.FAILED)
    body = client.get("/runs").json()
    assert body["count"] == 2
    assert {run["status"] for run in body["runs"]} == {"succeeded", "failed"}
    assert [r["id"] for r in client.get("/runs", {"status": "succeeded"}).json()["runs"]] == [
        done.pk
    ]
    assert client.get("/runs", {"tag": "a"}).json()["count"] == 1
    assert client.get("/runs", {"limit": 1}).json()["count"] == 2
    assert len(client.get("/runs", {"limit": 1}).json()["runs"]) == 1
    detail = client.get(f"/runs/{done.pk}").json()
    assert detail["id"] == done.pk
    assert "created_by" not in detail
    assert error_of(client.get("/runs", {"status": "nope"}))["code"] == "invalid_input"


@pytest.mark.parametrize("run_id", ["999", "99999999999999999999999"])
def test_a_missing_run_is_a_404_in_the_envelope(client: Client, run_id: str) -> None:
    for path in (f"/runs/{run_id}", f"/runs/{run_id}/metrics"):
        response = client.get(path)
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


def test_metrics_by_name_and_since_step(client: Client) -> None:
    run = make_run(status=RunStatus.RUNNING)
    for step in (100, 200, 300):
        RunMetric.objects.create(run=run, step=step, epoch=step // 100, name="train_loss", value=1)
        RunMetric.objects.create(run=run, step=step, epoch=step // 100, name="seconds", value=2)
    body = client.get(f"/runs/{run.pk}/metrics", {"name": "train_loss", "since_step": "100"}).json()
    assert body["run"] == run.pk
    assert body["status"] == "running"
    assert body["truncated"] is False
    assert [(m["name"], m["step"], m["epoch"]) for m in body["metrics"]] == [
        ("train_loss", 200, 2),
        ("train_loss", 300, 3),
    ]
    assert len(client.get(f"/runs/{run.pk}/metrics").json()["metrics"]) == 6


def test_cancel_and_resume_answer_409_when_the_status_does_not_allow(staff_client: Client) -> None:
    queued = make_run(status=RunStatus.QUEUED)
    response = staff_client.post(f"/runs/{queued.pk}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    again = staff_client.post(f"/runs/{queued.pk}/cancel")
    assert again.status_code == 409
    assert error_of(again)["code"] == "run_state_conflict"
    assert error_of(staff_client.post(f"/runs/{queued.pk}/resume"))["code"] == "run_state_conflict"

    running = make_run(status=RunStatus.RUNNING)
    assert staff_client.post(f"/runs/{running.pk}/cancel").json()["cancel_requested"] is True
    running.refresh_from_db()
    assert running.status == RunStatus.RUNNING  # the worker stops it at its next beat

    interrupted = make_run(status=RunStatus.INTERRUPTED)
    response = staff_client.post(f"/runs/{interrupted.pk}/resume")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"


def test_an_undeclared_method_is_a_405_even_for_anonymous_users(client: Client) -> None:
    run = make_run(status=RunStatus.RUNNING)
    for path in (f"/runs/{run.pk}", f"/runs/{run.pk}/metrics", "/runs"):
        response = client.generic("TRACE", path)
        assert response.status_code == 405, path
        assert error_of(response)["code"] == "method_not_allowed"
    assert client.get(f"/runs/{run.pk}/cancel").status_code == 405


def test_query_texts_are_taken_as_given(client: Client) -> None:
    make_run(status=RunStatus.SUCCEEDED, tags=[" a"])
    assert error_of(client.get("/runs", {"tag": ""}))["code"] == "invalid_input"
    assert error_of(client.get("/runs", {"status": ""}))["code"] == "invalid_input"
    assert client.get("/runs", {"tag": " a"}).json()["count"] == 1
    assert client.get("/runs", {"tag": "a"}).json()["count"] == 0
    assert client.get("/runs", {"tag": "\x1c"}).json()["count"] == 0
