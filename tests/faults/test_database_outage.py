"""The database going away is a 503, never a 500; a network already loaded keeps answering a while.

Real processes: a PostgreSQL server (`scripts/with-postgres.sh`), stopped (`pg_ctl stop -m fast`)
and started again mid-test; gunicorn with two workers on a project in a database of that server;
client threads posting `POST /predict` throughout; the admin logged in over HTTP; `manage.py`
commands in subprocesses. While the server is down: no answer is a 500; `/predict` for the loaded
default is answered from the last row read for `HIPPO_DB_STALE_SECONDS`, then 503
`database_unavailable` with `Retry-After`; everything else that needs the database answers that
503 at once (the admin a page); `/readyz` is 503; a command prints one line and exits 1. Once the
server is back, everything answers again without restarting gunicorn.

The commands' one line is also checked on SQLite (a database file that cannot be opened), so the
default pass covers it.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests
from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    connection,
)

from api.errors import ApiError, to_api_error
from bench.api_throughput import ROOT
from inference.row_cache import RowCache
from tests.api.helpers import digit_pixels
from tests.fixtures.postgres import postgres_server
from tests.serving.helpers import (
    TIMEOUT,
    Load,
    Project,
    admin_session,
    gunicorn,
    make_project,
    postgres_database,
)

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings

STALE_SECONDS = 4
"""`HIPPO_DB_STALE_SECONDS` of the server under test (short: the test waits it out)."""
RETRY_AFTER = "2"


def predict(base: str, model: str | None = None) -> requests.Response:
    body: dict[str, object] = {"pixels": digit_pixels()}
    if model:
        body["model"] = model
    return requests.post(f"{base}/predict", json=body, timeout=TIMEOUT)


def assert_database_unavailable(response: requests.Response) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert response.headers.get("Retry-After") == RETRY_AFTER
    error = response.json()["error"]
    assert error["code"] == "database_unavailable"
    assert error["message"]
    assert error["fields"] == {}


def manage(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    """`manage.py args` in a subprocess of the project's environment."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_one_line_error(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr[-2000:]
    assert lines[0].startswith("Error: the database is unavailable (")
    assert "Traceback" not in done.stderr


def booted_workers(log: Path) -> int:
    return log.read_text(errors="replace").count("Booting worker")


# --- in process: the row cache and the error mapping --------------------------------------------


def down(_connection: object) -> object:
    raise OperationalError("connection refused")


def test_the_last_row_is_served_within_the_stale_window_then_the_outage_is_reported() -> None:
    rows = RowCache(lambda: connection, max_age=0.05, stale_if_error=lambda: 0.6)
    assert rows.get("default", lambda _c: ("serving-a",)) == ("serving-a",)
    time.sleep(0.06)  # no longer fresh: the next lookup queries
    assert rows.get("default", down) == ("serving-a",)
    assert (rows.queries, rows.stale_answers) == (2, 1)
    # Right after a failure the database is not asked again (a hanging server would hold
    # every request for its connect timeout).
    assert rows.get("default", lambda _c: ("changed",)) == ("serving-a",)
    assert rows.queries == 2
    with pytest.raises(ApiError) as raised:  # nothing remembered under this key
        rows.get("other", down)
    assert (raised.value.status_code, raised.value.code) == (503, "database_unavailable")
    time.sleep(0.6)  # beyond the window: the outage itself
    with pytest.raises(OperationalError):
        rows.get("default", down)
    with pytest.raises(ApiError):  # not asked again at once; nothing fresh enough to serve
        rows.get("default", lambda _c: ("changed",))
    time.sleep(0.06)
    assert rows.get("default", lambda _c: ("changed",)) == ("changed",)  # back: queries again


def test_only_an_outage_is_served_stale() -> None:
    rows = RowCache(lambda: connection, max_age=0.0, stale_if_error=lambda: 60)
    assert rows.get("default", lambda _c: ("serving-a",)) == ("serving-a",)

    def broken(_connection: object) -> object:
        raise IntegrityError("a bug, not an outage")

    with pytest.raises(IntegrityError):
        rows.get("default", broken)
    plain = RowCache(lambda: connection, max_age=0.0)  # the listings: no stale answers
    assert plain.get("list", lambda _c: ("all",)) == ("all",)
    with pytest.raises(OperationalError):
        plain.get("list", down)


def test_outages_map_to_503_and_other_database_errors_do_not(settings: Settings) -> None:
    settings.HIPPO_DB_RETRY_AFTER = 7
    for exc in (OperationalError("x"), InterfaceError("closed"), DatabaseError("unknown")):
        error = to_api_error(exc)
        assert error is not None
        assert (error.status_code, error.code, error.retry_after) == (
            503,
            "database_unavailable",
            7,
        )
        assert "x" not in error.message  # the driver's text (hosts, users) is not echoed
    for exc in (IntegrityError("dup"), DataError("nul"), ProgrammingError("sql")):
        assert to_api_error(exc) is None


def test_a_full_disk_is_storage_full_not_an_outage() -> None:
    # SQLite says "disk is full" as an OperationalError: it must not read as an outage (which
    # would tell the client the database is down, when it is the disk that needs freeing).
    for exc in (
        OperationalError("database or disk is full"),
        OSError(errno.ENOSPC, "No space left on device"),
        OSError(errno.EDQUOT, "Disk quota exceeded"),
    ):
        error = to_api_error(exc)
        assert error is not None
        assert (error.status_code, error.code, error.retry_after) == (503, "storage_full", 60)
    assert to_api_error(OSError(errno.EACCES, "Permission denied")) is None


# --- real processes ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.postgres
def test_a_postgresql_outage_under_load(tmp_path: Path) -> None:
    server = postgres_server()
    assert server is not None, "run under scripts/with-postgres.sh (HIPPO_PG_DATA is not set)"
    with postgres_database(os.environ["DATABASE_URL"]) as url:
        project = make_project(tmp_path, database_url=url)
        default, other = project.models
        extra = {"HIPPO_DB_STALE_SECONDS": str(STALE_SECONDS), "HIPPO_DB_RETRY_AFTER": RETRY_AFTER}
        with gunicorn(project, workers=2, **extra) as instance:
            base = instance.url
            admin = admin_session(base)
            changelist = f"{base}/admin/registry/registeredmodel/"
            assert admin.get(changelist, timeout=TIMEOUT).status_code == 200
            booted = booted_workers(instance.log)
            with Load(base, threads=3, max_seconds=120) as load:
                load.wait_for(200)
                server.stop()
                try:
                    stopped = time.monotonic()
                    # Within the stale window the loaded default is still served...
                    load.wait_for(50)
                    early = [a for a in load.since(stopped) if a.sent < stopped + STALE_SECONDS - 1]
                    assert early
                    assert all(a.status == 200 for a in early), Counter(
                        (a.status, a.model) for a in early
                    )
                    # ... and everything else needing the database is a 503 at once.
                    assert_database_unavailable(predict(base, other))  # never loaded
                    for path in ("/models", f"/models/{default}"):
                        assert_database_unavailable(requests.get(base + path, timeout=TIMEOUT))
                    ready = requests.get(f"{base}/readyz", timeout=TIMEOUT)
                    assert ready.status_code == 503
                    assert ready.json()["checks"]["database"]["ok"] is False
                    page = admin.get(changelist, timeout=TIMEOUT)
                    assert page.status_code == 503
                    assert page.headers.get("Retry-After") == RETRY_AFTER
                    assert "The database is unavailable" in page.text
                    assert_one_line_error(manage(project, "sync_models"))
                    # After the window: 503 database_unavailable, with Retry-After.
                    deadline = stopped + STALE_SECONDS + 30
                    while time.monotonic() < deadline and not [
                        a for a in load.since(stopped + STALE_SECONDS + 1) if a.status == 503
                    ]:
                        time.sleep(0.05)
                    assert_database_unavailable(predict(base))
                    during = load.since(stopped)
                finally:
                    server.start()
                restarted = time.monotonic()
                deadline = restarted + 30
                while time.monotonic() < deadline:
                    if requests.get(f"{base}/readyz", timeout=TIMEOUT).status_code == 200:
                        break
                    time.sleep(0.1)
                recovered = time.monotonic() - restarted
                time.sleep(1)  # the rows are read again within a second of the recovery
                load.wait_for(50)
                after = load.since(restarted + recovered + 1)
            statuses = Counter((a.status, a.model) for a in during)
            late = [a for a in during if a.sent > stopped + STALE_SECONDS + 0.5]
            first_503 = min((a.sent for a in during if a.status == 503), default=float("nan"))
            print(  # the figures (pytest -s shows them)
                f"during the stop: {dict(statuses)}; first 503 sent "
                f"{first_503 - stopped:.2f} s after the stop (window {STALE_SECONDS} s); "
                f"/readyz 200 again {recovered:.2f} s after the restart"
            )
            assert not [a for a in load.answers if a.status >= 500 and a.status != 503]
            assert set(statuses) <= {(200, default), (503, "database_unavailable")}
            assert late
            assert all(a.status == 503 for a in late if a.sent < restarted - 0.5)
            assert after
            assert all(a.status == 200 and a.model == default for a in after)
            # Everything answers again, from the same gunicorn and the same workers.
            assert instance.process.poll() is None
            assert booted_workers(instance.log) == booted
            assert predict(base, other).json()["model"] == other
            assert requests.get(f"{base}/models", timeout=TIMEOUT).status_code == 200
            assert admin.get(changelist, timeout=TIMEOUT).status_code == 200
            assert manage(project, "sync_models").returncode == 0


@pytest.mark.slow
@pytest.mark.own_sqlite
def test_a_command_reports_an_unusable_database_in_one_line(tmp_path: Path) -> None:
    project = Project(tmp_path, {**os.environ, "DJANGO_SECRET_KEY": "test-only"})
    # A directory where the SQLite file should be: "unable to open database file".
    (tmp_path / "db.sqlite3").mkdir()
    project.env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    project.env["HIPPO_DATA_DIR"] = str(tmp_path)
    for command in (["sync_models"], ["migrate", "--noinput"]):
        assert_one_line_error(manage(project, *command))
    with_traceback = manage(project, "sync_models", "--traceback")
    assert with_traceback.returncode == 1
    assert "Traceback" in with_traceback.stderr
