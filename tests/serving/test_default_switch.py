"""A default chosen in the admin is served within 1 s by every worker and instance, under load.

Real processes only: gunicorn with `hippo_site/gunicorn.conf.py`, an admin login through the login
form and the "Make default" action posted over HTTP, while client threads keep posting images to
`POST /predict`. On PostgreSQL two instances share one database (as two machines behind a load
balancer would): the default is chosen through one and must be served by the other. On SQLite one
instance with two workers plays both parts.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.serving.helpers import (
    Load,
    Project,
    admin_session,
    gunicorn,
    make_default_in_admin,
    make_project,
    postgres_database,
)

pytestmark = pytest.mark.slow

SWITCH_DEADLINE = 1.0
"""Seconds within which every request must be answered by the newly chosen default."""


def switch_under_load(admin_url: str, serving_url: str, project: Project) -> None:
    """Switch the default twice through `admin_url` while `serving_url` is under load."""
    admin = admin_session(admin_url)
    first, second = project.models
    with Load(serving_url, threads=2, max_seconds=90) as load:
        load.wait_for(100)
        assert {answer.model for answer in load.answers} == {first}
        for chosen in (second, first):
            make_default_in_admin(admin, admin_url, chosen)
            done = time.monotonic()
            # Keep loading until requests sent well after the deadline have come back.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not [
                answer
                for answer in load.since(done + SWITCH_DEADLINE + 0.5)
                if answer.done > answer.sent
            ]:
                time.sleep(0.05)
            load.wait_for(50)
            after = load.since(done)
            seen = [answer.done - done for answer in after if answer.model == chosen]
            assert seen, f"{chosen} was never served after it was chosen"
            late = load.since(done + SWITCH_DEADLINE)
            stale = [answer for answer in late if answer.model != chosen]
            print(  # the figure the test exists for (pytest -s shows it)
                f"{chosen}: first served {min(seen) * 1000:.0f} ms after the admin's answer; "
                f"{len(late)} requests sent later than {SWITCH_DEADLINE} s, {len(stale)} stale"
            )
            assert late, "no request was sent after the deadline"
            assert stale == []
    errors = [answer for answer in load.answers if answer.status != 200]
    assert errors == [], errors[:5]
    assert len(load.answers) >= 250


@pytest.mark.postgres
def test_two_instances_on_one_postgresql_database(tmp_path: Path) -> None:
    with postgres_database(os.environ["DATABASE_URL"]) as url:
        project = make_project(tmp_path, database_url=url)
        with gunicorn(project, workers=1) as admin, gunicorn(project, workers=1) as serving:
            switch_under_load(admin.url, serving.url, project)


@pytest.mark.own_sqlite
def test_one_instance_with_two_workers_on_sqlite(tmp_path: Path) -> None:
    project = make_project(tmp_path)  # the SQLite file in the project's data directory
    assert "DATABASE_URL" not in project.env
    with gunicorn(project, workers=2) as server:
        switch_under_load(server.url, server.url, project)
