"""Real worker processes (`manage.py db_worker`) executing runs queued through the API.

A temporary project (its own SQLite file, or a fresh database on the PostgreSQL server of the
PostgreSQL pass) is migrated and served by gunicorn; workers are `db_worker` subprocesses with a
short lease (`HIPPO_RUN_LEASE_SECONDS=3`), so that a killed worker's run lapses quickly. Runs are
queued and cancelled through the API by a staff session (the admin's log-in form, the CSRF token),
and read back through the API, as a client would.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import requests
from django.conf import settings
from django.db import connection

from bench.api_throughput import ROOT, hippo_environment
from bench.servers import free_port, running, wait_until_up
from nn_core.hyperparameters import Hyperparameters
from nn_core.model_files import load_model
from tests.serving.helpers import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    CONFIG,
    GUNICORN,
    TIMEOUT,
    Project,
    ServerProcess,
    admin_session,
    postgres_database,
)
from training.run import run_training

pytestmark = [pytest.mark.mnist, pytest.mark.slow]

LEASE_SECONDS = 3


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """A migrated project with an admin user, on the database of this pass."""
    data_dir = tmp_path_factory.mktemp("runs-project")
    with contextlib.ExitStack() as stack:
        env = hippo_environment(data_dir)
        env["HIPPO_MNIST_DIR"] = str(settings.HIPPO_MNIST_DIR)
        env["HIPPO_RUN_LEASE_SECONDS"] = str(LEASE_SECONDS)
        if connection.vendor == "postgresql":
            env["DATABASE_URL"] = stack.enter_context(postgres_database(os.environ["DATABASE_URL"]))
        project = Project(data_dir, env)
        project.manage("migrate", "--noinput", "-v", "0")
        project.manage(
            "createsuperuser",
            "--noinput",
            "--username",
            ADMIN_USER,
            "--email",
            "admin@example.com",
            DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD,
        )
        yield project


@pytest.fixture(scope="module")
def server(project: Project) -> Iterator[ServerProcess]:
    """gunicorn serving the project (up when /healthz answers: no model is registered, so
    /readyz, which the serving tests wait for, would not be)."""
    port = free_port()
    env = {**project.env, "WEB_CONCURRENCY": "1", "HIPPO_BIND": f"127.0.0.1:{port}"}
    log = project.data_dir / "gunicorn.log"
    with running([str(GUNICORN), "-c", str(CONFIG)], cwd=ROOT, env=env, log=log) as process:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/healthz", process)
        yield ServerProcess(base, process, log)


class Api:
    """The runs API through a staff session."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = admin_session(base)

    def post(self, path: str, body: Any = None) -> requests.Response:
        token = self.http.cookies["csrftoken"]
        return self.http.post(
            f"{self.base}{path}", json=body, headers={"X-CSRFToken": token}, timeout=TIMEOUT
        )

    def queue(self, **hyperparameters: Any) -> int:
        answer = self.post("/runs", {"hyperparameters": hyperparameters, "tags": ["workers"]})
        assert answer.status_code == 201, answer.text
        run_id: int = answer.json()["id"]
        return run_id

    def run(self, run_id: int) -> dict[str, Any]:
        answer = requests.get(f"{self.base}/runs/{run_id}", timeout=TIMEOUT)
        assert answer.status_code == 200
        body: dict[str, Any] = answer.json()
        return body

    def metrics(self, run_id: int, name: str) -> list[dict[str, Any]]:
        answer = requests.get(
            f"{self.base}/runs/{run_id}/metrics", params={"name": name}, timeout=TIMEOUT
        )
        rows: list[dict[str, Any]] = answer.json()["metrics"]
        return rows

    def wait(
        self, run_id: int, until: Any, seconds: float = 90, poll: float = 0.1
    ) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while True:
            run = self.run(run_id)
            if until(run):
                return run
            assert time.monotonic() < deadline, f"run {run_id} stayed {run['status']}: {run}"
            time.sleep(poll)


@pytest.fixture
def api(server: ServerProcess) -> Api:
    return Api(server.url)


@contextlib.contextmanager
def worker(project: Project, name: str) -> Iterator[subprocess.Popen[bytes]]:
    """A `db_worker` subprocess (its own process group), stopped when the block ends."""
    command = [
        sys.executable,
        "manage.py",
        "db_worker",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0.2",
        "--worker-id",
        name,
    ]
    log = project.data_dir / f"worker-{name}.log"
    with running(command, cwd=ROOT, env=project.env, log=log) as process:
        yield process


def finished(run: dict[str, Any]) -> bool:
    return run["status"] not in ("queued", "running")


def test_a_run_queued_through_the_api_is_executed_by_a_worker(project: Project, api: Api) -> None:
    run_id = api.queue(sizes=[784, 16, 10], epochs=1, limit_train=2000, seed=1)
    assert api.run(run_id)["status"] == "queued"
    with worker(project, "w1"):
        run = api.wait(run_id, finished)
    assert run["status"] == "succeeded", run
    assert run["worker_id"] == "w1"
    assert run["attempts"] == 1
    assert run["epochs_completed"] == 1
    assert run["test_metrics"]["test_accuracy"] > 50
    assert len(run["model_files"]) == 4
    assert len(api.metrics(run_id, "train_loss")) == 1
    assert len(api.metrics(run_id, "validation_accuracy")) == 1


def test_cancel_stops_a_running_run_within_two_seconds_keeping_its_curves(
    project: Project, api: Api
) -> None:
    run_id = api.queue(epochs=30, limit_train=20000, seed=2)
    with worker(project, "w2"):
        api.wait(run_id, lambda run: run["epochs_completed"] >= 1, seconds=60)
        started = time.monotonic()
        answer = api.post(f"/runs/{run_id}/cancel")
        assert answer.status_code == 200
        run = api.wait(run_id, finished, seconds=10, poll=0.05)
        took = time.monotonic() - started
    assert run["status"] == "cancelled", run
    assert took <= 2.0, f"the cancel took {took:.2f} s"
    assert run["epochs_completed"] < 30
    assert len(api.metrics(run_id, "train_loss")) == run["epochs_completed"]
    assert run["model_files"] == []


def test_a_killed_worker_s_run_is_interrupted_and_resumes_to_the_same_weights(
    project: Project, api: Api, mnist_splits: Any
) -> None:
    config = {"sizes": [784, 64, 10], "epochs": 5, "limit_train": 20000, "seed": 11}
    run_id = api.queue(**config)
    with worker(project, "doomed") as process:
        api.wait(run_id, lambda run: run["epochs_completed"] >= 2, seconds=60, poll=0.05)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        killed = time.monotonic()
    assert api.run(run_id)["status"] == "running"  # nobody knows yet

    # The sweeper marks it interrupted once the lease (3 s here, 30 s by default) lapsed.
    deadline = killed + LEASE_SECONDS + 10
    while api.run(run_id)["status"] == "running":
        assert time.monotonic() < deadline, "the lapsed lease was not swept"
        project.manage("sweep_runs", "-v", "0")
        time.sleep(0.5)
    run = api.run(run_id)
    assert run["status"] == "interrupted"
    assert time.monotonic() - killed <= LEASE_SECONDS + 10
    done_before = run["epochs_completed"]
    assert 2 <= done_before < 5

    answer = api.post(f"/runs/{run_id}/resume")
    assert answer.status_code == 202, answer.text
    with worker(project, "rescuer"):
        run = api.wait(run_id, finished)
    assert run["status"] == "succeeded", run
    assert run["attempts"] == 2
    assert run["worker_id"] == "rescuer"
    epochs = [row["epoch"] for row in api.metrics(run_id, "train_loss")]
    assert epochs == [1, 2, 3, 4, 5]

    # The same seeded run, never interrupted, in this process: the same weights, bit for bit.
    whole = run_training(Hyperparameters.from_dict(config), mnist_splits)
    (weights,) = (project.data_dir / "runs" / str(run_id)).glob("*.safetensors")
    resumed = load_model(weights).network
    for mine, theirs in zip(resumed.parameters(), whole.network.parameters(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert run["best_epoch"] == whole.best_epoch


@pytest.mark.postgres
def test_two_workers_execute_twenty_queued_runs_each_exactly_once(
    project: Project, api: Api
) -> None:
    ids = [
        api.queue(sizes=[784, 16, 10], epochs=1, limit_train=500, seed=seed) for seed in range(20)
    ]
    with worker(project, "pg-a"), worker(project, "pg-b"):
        runs = [api.wait(run_id, finished, seconds=180, poll=0.2) for run_id in ids]
    assert [run["status"] for run in runs] == ["succeeded"] * 20
    assert all(run["attempts"] == 1 for run in runs)
    assert {run["worker_id"] for run in runs} <= {"pg-a", "pg-b"}
    for run_id in ids:
        assert len(api.metrics(run_id, "train_loss")) == 1
    print("runs per worker:", {w: sum(r["worker_id"] == w for r in runs) for w in ("pg-a", "pg-b")})


def test_make_run_s_script_serves_with_a_worker_and_stops_both(project: Project) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = ["scripts/serve-with-worker.sh", sys.executable, str(port)]
    log = project.data_dir / "serve-with-worker.log"
    with running(command, cwd=ROOT, env=project.env, log=log) as process:
        wait_until_up(f"{base}/healthz", process, timeout=90)
        api = Api(base)
        run_id = api.queue(sizes=[784, 16, 10], epochs=1, limit_train=1000, seed=3)
        assert api.wait(run_id, finished)["status"] == "succeeded"
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        # Nothing of the group (the script, runserver and its child, the worker) is left.
        deadline = time.monotonic() + 5
        while True:
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                break
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.1)
