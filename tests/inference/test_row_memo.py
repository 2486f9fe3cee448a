"""The model row is reused only while the SQLite files are unchanged; a new default is seen at once.

The test database is in memory (never memoised) or PostgreSQL, so these tests copy its rows into a
real SQLite file in `tmp_path` and point this thread's `default` connection at that file. Changes
are made the way production makes them: `registry.services.make_default`, and a raw ORM update
from another thread with its own connection (as another worker would).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext

from inference.resolver import ROWS, resolve_network
from inference.sqlite_state import SAFETY_MARGIN_NS, database_file, file_state, trustworthy
from registry.models import RegisteredModel
from registry.services import make_default

pytestmark = pytest.mark.django_db(transaction=True)
SQLITE = "django.db.backends.sqlite3"


@contextlib.contextmanager
def file_connection(path: Path) -> Iterator[BaseDatabaseWrapper]:
    """Point this thread's `default` connection at the SQLite file `path` for the block."""
    original = connections["default"]
    sqlite = load_backend("django.db.backends.sqlite3").DatabaseWrapper
    settings_dict = {**original.settings_dict, "ENGINE": SQLITE, "NAME": str(path), "OPTIONS": {}}
    wrapper = sqlite(settings_dict, "default")
    connections["default"] = wrapper
    try:
        yield wrapper
    finally:
        wrapper.close()
        connections["default"] = original


def backdate(path: Path, seconds: float = 10.0) -> None:
    """Set the database file's modification time `seconds` into the past (a quiet database)."""
    past = time.time_ns() - int(seconds * 1e9)
    os.utime(path, ns=(past, past))


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[Path, BaseDatabaseWrapper]]:
    """The test database's model rows, copied to a SQLite file this thread's connection now uses.

    On SQLite the whole test database is copied; on another engine (the PostgreSQL pass) the file
    gets the registry's table and the same rows.
    """
    path = tmp_path / "hippo.sqlite3"
    source = connections["default"]
    ROWS.clear()
    if source.vendor == "sqlite":
        source.ensure_connection()
        target = sqlite3.connect(path)
        source.connection.backup(target)
        target.close()
        with file_connection(path) as connection:
            yield path, connection
    else:
        rows = list(RegisteredModel.objects.all())
        with file_connection(path) as connection:
            with connection.schema_editor() as editor:
                editor.create_model(RegisteredModel)
            RegisteredModel.objects.bulk_create(rows)
            yield path, connection
    ROWS.clear()


def default_name(connection: BaseDatabaseWrapper) -> tuple[str, int]:
    """The default model's name as a request resolves it, and the queries that took."""
    with CaptureQueriesContext(connection) as queries:
        name, _network = resolve_network(None)
    return name, len(queries)


def test_unchanged_files_mean_no_query(
    database: tuple[Path, BaseDatabaseWrapper], registered_model: RegisteredModel
) -> None:
    path, connection = database
    assert database_file(connection) == str(path)
    backdate(path)
    assert default_name(connection)[0] == registered_model.name  # loads, reads and remembers
    assert default_name(connection) == (registered_model.name, 0)
    assert default_name(connection) == (registered_model.name, 0)


def test_make_default_is_seen_by_the_next_request(
    database: tuple[Path, BaseDatabaseWrapper],
    two_registered_models: tuple[RegisteredModel, RegisteredModel],
) -> None:
    path, connection = database
    first, second = two_registered_models
    backdate(path)
    default_name(connection)
    assert default_name(connection) == (first.name, 0)  # remembered
    make_default(second)
    name, queries = default_name(connection)
    assert name == second.name
    assert queries >= 1
    # The file changed less than the safety margin ago: every request reads again.
    assert default_name(connection) == (second.name, 1)
    make_default(first)
    assert default_name(connection)[0] == first.name


def test_a_change_from_another_connection_is_seen_by_the_next_request(
    database: tuple[Path, BaseDatabaseWrapper],
    two_registered_models: tuple[RegisteredModel, RegisteredModel],
) -> None:
    path, connection = database
    first, second = two_registered_models
    backdate(path)
    default_name(connection)
    assert default_name(connection) == (first.name, 0)
    errors: list[BaseException] = []

    def switch() -> None:  # another worker, as the admin would: its own connection, raw updates
        try:
            with file_connection(path) as other:
                assert other is not connection
                with transaction.atomic():
                    RegisteredModel.objects.filter(is_default=True).update(is_default=False)
                    RegisteredModel.objects.filter(pk=second.pk).update(is_default=True)
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    writer = threading.Thread(target=switch)
    writer.start()
    writer.join()
    assert errors == []
    assert default_name(connection)[0] == second.name


def test_wal_mode_always_queries(
    database: tuple[Path, BaseDatabaseWrapper], registered_model: RegisteredModel
) -> None:
    path, connection = database
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
    backdate(path)
    default_name(connection)  # the first read in WAL mode creates the -wal file
    assert Path(f"{path}-wal").exists()
    assert default_name(connection) == (registered_model.name, 1)


def test_in_memory_database_always_queries(registered_model: RegisteredModel) -> None:
    connection = connections["default"]
    assert database_file(connection) is None
    default_name(connection)
    assert default_name(connection) == (registered_model.name, 1)


def test_only_states_older_than_the_margin_are_trusted(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"

    def write(sql: str) -> None:
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.execute(sql)
            db.commit()

    write("create table t (x)")
    just_written = file_state(str(path))
    assert just_written is not None
    assert not trustworthy(just_written, time.time_ns())  # within the margin: query again
    backdate(path)
    quiet = file_state(str(path))
    assert quiet is not None
    assert trustworthy(quiet, time.time_ns())
    write("insert into t values (1)")
    changed = file_state(str(path))
    assert changed is not None
    assert changed != quiet
    assert not trustworthy(changed, time.time_ns())
    assert SAFETY_MARGIN_NS >= 50_000_000  # well above a kernel timestamp tick
