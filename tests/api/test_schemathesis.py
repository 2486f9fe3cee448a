"""Schemathesis against a live server: every check (`--checks all`), 0 server errors, 0 mismatches.

The schema is read from the running server (`/api/schema/`), as a client would, and every operation
gets a bounded number of generated requests (examples, coverage, fuzzing and stateful phases; about
30 s in all). The server is gunicorn with `hippo_site/gunicorn.conf.py`, on the database of the
pass: the project's SQLite file, or a fresh database on the PostgreSQL server of the second pass.
The allowed exceptions (limits the schema cannot see) are in tests/api/schemathesis.toml; queries
past the HTTP server's request line limit are left out (tests/api/schemathesis_hooks.py).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from drf_spectacular.generators import SchemaGenerator

from bench.api_throughput import ROOT
from tests.serving.helpers import gunicorn, make_project, postgres_database

pytestmark = pytest.mark.slow

SCHEMATHESIS = ROOT / ".venv" / "bin" / "schemathesis"
CONFIG = Path(__file__).with_name("schemathesis.toml")
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
MAX_EXAMPLES = os.environ.get("HIPPO_SCHEMATHESIS_EXAMPLES", "20")
SEED = os.environ.get("HIPPO_SCHEMATHESIS_SEED", "20261201")


@contextlib.contextmanager
def database_of_this_pass() -> Iterator[str | None]:
    """A fresh PostgreSQL database on the PostgreSQL pass; None (the project's SQLite) otherwise."""
    if connection.vendor == "postgresql":
        with postgres_database(os.environ["DATABASE_URL"]) as url:
            yield url
    else:
        yield None


@pytest.mark.mnist  # without MNIST, GET /mnist/samples is a 503 (documented, but a server error)
def test_schemathesis_finds_no_server_error_and_no_mismatch(tmp_path: Path) -> None:
    with database_of_this_pass() as database_url:
        project = make_project(tmp_path / "project", database_url=database_url)
        mnist = str(settings.HIPPO_MNIST_DIR)
        with gunicorn(project, workers=2, HIPPO_MNIST_DIR=mnist) as server:
            done = subprocess.run(
                [
                    str(SCHEMATHESIS),
                    "--config-file",
                    str(CONFIG),
                    "run",
                    f"{server.url}/api/schema/",
                    "--checks",
                    "all",
                    "--max-examples",
                    MAX_EXAMPLES,
                    "--seed",
                    SEED,
                    "--workers",
                    "2",
                    "--request-timeout",
                    "10",
                    "--generation-database",
                    "none",
                    "--no-color",
                ],
                cwd=tmp_path,
                env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)},
                capture_output=True,
                text=True,
                timeout=240,
                check=False,
            )
    (tmp_path / "schemathesis.txt").write_text(done.stdout + done.stderr)
    failures = done.stdout.find("FAILURES")
    report = done.stdout[max(failures, 0) :][:6000] + "\n...\n" + done.stdout[-1500:]
    print(done.stdout[-1500:])
    assert done.returncode == 0, report + done.stderr[-2000:]
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]  # type: ignore[no-untyped-call]
    operations = sum(len(methods) for methods in paths.values())
    assert f"Tested: {operations}" in done.stdout  # every operation of the schema
