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

**Stale if error** (a cache built with `stale_if_error`, the resolver's): when the database cannot
be reached (`api.errors.is_database_outage`: connection refused or lost, server shutting down), a
lookup answers the last row it read, if that row was read less than `stale_if_error()` seconds ago
(`HIPPO_DB_STALE_SECONDS`, 30 by default), never older; without such a row the outage propagates
(503 `database_unavailable`). After a failure the database is not asked again for `max_age`
seconds: a server that hangs instead of refusing would otherwise hold every request for its
connect timeout, and a refusing one would be asked thousands of times a second.

The trade-off, chosen on purpose: for up to that window a network already loaded keeps answering
as the row said when it was last read, so a change committed just before the outage (and not yet
seen, at most `max_age` old) or committed by another instance that can still reach the database (a
partition) is not served by this one for up to `HIPPO_DB_STALE_SECONDS`. A switch made through this
database during the outage is impossible: the database is down. Beyond the window nothing is
served from memory: 30 s covers a restart or a fail-over of the server, and is short enough that a
longer outage is reported (503, `/readyz` already says 503 from the first failure) rather than
hidden. `HIPPO_DB_STALE_SECONDS=0` answers 503 from the first failure.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from time import monotonic
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from api.errors import database_unavailable, is_database_outage

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
        self,
        connection: Callable[[], BaseDatabaseWrapper],
        max_age: float = MAX_AGE_SECONDS,
        stale_if_error: Callable[[], float] | None = None,
    ) -> None:
        self._connection = connection
        self.max_age = max_age
        self._stale_if_error = stale_if_error
        self._rows: dict[Hashable, tuple[float, Any]] = {}
        self._failed_at: float | None = None
        """When a lookup last failed because the database is unreachable (None: it answers)."""
        self.queries = 0
        """Lookups that ran their query (tests read it)."""
        self.stale_answers = 0
        """Lookups answered with a row older than `max_age` because the database failed."""

    def get(self, key: Hashable, query: Callable[[BaseDatabaseWrapper], Any]) -> Any:
        """The result of `query` for `key`: remembered when read less than `max_age` ago.

        Only results that are not None are remembered (None is an error path anyway). Inside a
        transaction the connection may see its own uncommitted writes, so it always queries.

        Raises:
            ApiError: 503 `database_unavailable`, when the database failed less than `max_age`
                ago and no row is fresh enough to serve (stale-if-error caches only).
            DatabaseError: The query's own errors (an outage too, when no row is fresh enough).
        """
        connection = self._connection()
        # The age counts from before the query: a change committed while it ran is seen at the
        # latest `max_age` after this point.
        now = monotonic()
        in_transaction = connection.in_atomic_block
        seen = None if in_transaction else self._rows.get(key)
        if seen is not None and now - seen[0] < self.max_age:
            return seen[1]
        failed_at = self._failed_at
        if not in_transaction and failed_at is not None and now - failed_at < self.max_age:
            return self._stale(seen, now, None)  # the database failed a moment ago: do not ask
        self.queries += 1
        try:
            result = query(connection)
        except Exception as exc:
            if self._stale_if_error is None or in_transaction or not is_database_outage(exc):
                raise
            self._failed_at = monotonic()
            return self._stale(seen, now, exc)
        self._failed_at = None
        if result is not None and not in_transaction:
            if key in self._rows or len(self._rows) < MAX_ENTRIES:
                self._rows[key] = (now, result)
        else:
            self._rows.pop(key, None)
        return result

    def _stale(self, seen: tuple[float, Any] | None, now: float, error: Exception | None) -> Any:
        """The remembered row when read within the stale window, else the outage as an error."""
        window = self._stale_if_error() if self._stale_if_error is not None else 0.0
        if seen is not None and now - seen[0] < window:
            self.stale_answers += 1
            return seen[1]
        if error is not None:
            raise error
        raise database_unavailable()

    def clear(self) -> None:
        """Forget every remembered row (the next lookups query)."""
        self._rows.clear()
