"""Knowing, without a query, that a SQLite database has not changed since a row was read.

The predict path reads the default model's row on every request, so a default chosen in the admin
takes effect on the next request in every worker. That read costs little in-process (~25 µs) but
far more under load (locking, system calls: ~140 µs of server CPU per request were measured).
`RowMemo` keeps the last row read per lookup and hands it out again while the database files
provably have not changed; any doubt means a query, as before.

Why that is sound (SQLite's default rollback-journal mode and its usual file locking):

- Every committed change writes the database file. A writer takes the EXCLUSIVE lock, writes its
  pages into the file and commits (deletes or resets the `-journal`) while still holding the
  lock; a reader holds a SHARED lock for the whole of its read. So a commit that a read did
  *not* see writes the file only after that read finished. Reads and file states are recorded
  in this order: stat the files, take the time `now`, query. A commit the query missed therefore
  writes the file after `now`, and the kernel stamps that write with a modification time of at
  least `now` minus its timestamp granularity.
- A row is reused only if, at recording, the newest modification time was older than
  `now - SAFETY_MARGIN_NS`, and the margin is larger than the filesystem's timestamp granularity
  (a kernel tick, at most 10 ms, on ext4, xfs, btrfs, tmpfs and overlayfs; 1 s on the coarsest
  filesystems still met, hence a 1 s margin). Then any later commit gives the file a different
  modification time, so the state (inode, size, modification time of the file, its `-journal`
  and `-wal`) differs and the next request queries. Without the margin, two commits within one
  timestamp tick could leave the same state behind, the second unseen.
- WAL mode is not trusted: there a commit is written to the `-wal` file first and published
  a moment later through shared memory, so a reader can see the new file time but the old data.
  While a `-wal` file exists, every lookup queries. Databases that are not files (in-memory)
  and other engines always query.
- Independently of all that, a row is never reused for longer than `MAX_REUSE_NS` (1 s): a
  bound on the damage if an assumption fails (a clock stepped back, a network filesystem
  caching file attributes), for the cost of one query a second.

Memos are plain dictionaries of immutable tuples: each entry was read after its own file state
was taken, so whichever of two racing threads stores last, the entry stays consistent, and the
CPython dictionary operations used are atomic.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Hashable
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

SAFETY_MARGIN_NS = 1_000_000_000
"""How old the newest file modification must be before a row read after it is reused."""

MAX_REUSE_NS = 1_000_000_000
"""The longest a row is handed out again without a query, whatever the files say."""

MAX_ENTRIES = 64
"""Lookups remembered at most (model names come from clients; the default is one of them)."""

_ABSENT = (0, -1, 0)
"""The `(inode, size, mtime_ns)` of a file that does not exist."""

FileState = tuple[str, tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]]
"""Path, then `(inode, size, mtime_ns)` of the database file, its `-journal` and its `-wal`."""


def database_file(connection: BaseDatabaseWrapper) -> str | None:
    """The path of the SQLite database file behind `connection`, or None when not applicable.

    None for other engines, in-memory databases and `file:` URIs (whose options could change
    how the database is stored).
    """
    if connection.vendor != "sqlite":
        return None
    name = connection.settings_dict.get("NAME")
    if not name:
        return None
    path = str(name)  # a str or a Path in settings
    if path == ":memory:" or path.startswith("file:"):
        return None
    return path


def _stat(path: str) -> tuple[int, int, int]:
    try:
        found = os.stat(path)  # noqa: PTH116 - per request: no Path object to build
    except FileNotFoundError:
        return _ABSENT
    return (found.st_ino, found.st_size, found.st_mtime_ns)


def file_state(path: str) -> FileState | None:
    """The state of a database file and its journals, or None when it cannot be read."""
    try:
        return (path, _stat(path), _stat(path + "-journal"), _stat(path + "-wal"))
    except OSError:
        return None


def trustworthy(state: FileState, now_ns: int) -> bool:
    """Whether a row read after taking `state` at `now_ns` may be reused while `state` holds."""
    _path, database, journal, wal = state
    if database == _ABSENT or wal != _ABSENT:
        return False
    return max(database[2], journal[2]) < now_ns - SAFETY_MARGIN_NS


class RowMemo:
    """The last row of each lookup, reused while the SQLite database files are unchanged.

    Args:
        connection: Returns the database connection the lookups run on (Django's connections
            are per thread, so it is looked up on every call).
    """

    def __init__(self, connection: Callable[[], BaseDatabaseWrapper]) -> None:
        self._connection = connection
        self._rows: dict[Hashable, tuple[FileState, int, Any]] = {}
        self.queries = 0
        """Lookups that ran their query (tests read it)."""

    def get(self, key: Hashable, query: Callable[[BaseDatabaseWrapper], Any]) -> Any:
        """The result of `query` for `key`: remembered when provably current, else queried.

        Only results that are not None are remembered (None is an error path anyway).
        """
        connection = self._connection()
        # Inside a transaction the connection may see its own uncommitted writes: always query.
        path = None if connection.in_atomic_block else database_file(connection)
        state = file_state(path) if path is not None else None
        now = time.time_ns()
        if state is not None:
            seen = self._rows.get(key)
            if seen is not None and seen[0] == state and now - seen[1] < MAX_REUSE_NS:
                return seen[2]
        self.queries += 1
        result = query(connection)  # after the state and `now` were taken: see the module doc
        if state is not None and result is not None and trustworthy(state, now):
            if key in self._rows or len(self._rows) < MAX_ENTRIES:
                self._rows[key] = (state, now, result)
        else:
            self._rows.pop(key, None)
        return result

    def clear(self) -> None:
        """Forget every remembered row."""
        self._rows.clear()
