"""Model rows (or answers built from them) remembered per process for a short, fixed time.

The predict path needs the default model's row on every request, and a default chosen in the admin
must be served by every worker soon after. Reading the row costs a query per request (~100 µs of
server CPU under load on SQLite, a network round trip on PostgreSQL). `RowCache` keeps each row it
read for at most `MAX_AGE_SECONDS`, so a worker queries at most twice a second per lookup and a
change made anywhere (another worker, another machine sharing the database) is seen within
`MAX_AGE_SECONDS` plus one query, well inside the promised second. Nothing here depends on the
engine: no file stats, no triggers, no notifications.

Entries are immutable tuples in a plain dictionary: racing threads at worst both query and the last
one stores its (equally fresh) row; CPython's dictionary operations used here are atomic.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from time import monotonic
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

MAX_AGE_SECONDS = 0.5
"""How long a row read from the database is handed out again without a query."""

MAX_ENTRIES = 64
"""Lookups remembered at most (model names come from clients; the default is one of them)."""


class RowCache:
    """The last row of each lookup, reused for at most `max_age` seconds.

    Args:
        connection: Returns the database connection the lookups run on (Django's connections
            are per thread, so it is looked up on every call).
        max_age: Seconds a row is reused; 0 queries every time.
    """

    def __init__(
        self, connection: Callable[[], BaseDatabaseWrapper], max_age: float = MAX_AGE_SECONDS
    ) -> None:
        self._connection = connection
        self.max_age = max_age
        self._rows: dict[Hashable, tuple[float, Any]] = {}
        self.queries = 0
        """Lookups that ran their query (tests read it)."""

    def get(self, key: Hashable, query: Callable[[BaseDatabaseWrapper], Any]) -> Any:
        """The result of `query` for `key`: remembered when read less than `max_age` ago.

        Only results that are not None are remembered (None is an error path anyway). Inside a
        transaction the connection may see its own uncommitted writes, so it always queries.
        """
        connection = self._connection()
        # The age counts from before the query: a change committed while it ran is seen at the
        # latest `max_age` after this point.
        now = monotonic()
        if not connection.in_atomic_block:
            seen = self._rows.get(key)
            if seen is not None and now - seen[0] < self.max_age:
                return seen[1]
        self.queries += 1
        result = query(connection)
        if result is not None and not connection.in_atomic_block:
            if key in self._rows or len(self._rows) < MAX_ENTRIES:
                self._rows[key] = (now, result)
        else:
            self._rows.pop(key, None)
        return result

    def clear(self) -> None:
        """Forget every remembered row (the next lookups query)."""
        self._rows.clear()
