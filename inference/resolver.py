"""Which network answers a request: the model's row, then the process's cache of networks.

The default model is chosen in the admin and must take effect on the next request in every worker,
so its row is read from the database: one indexed query, compiled once from the ORM (so it follows
the model's table and columns) and run through a plain cursor, which costs a few microseconds
instead of the ORM's ~100. Each process reuses a row it read for at most half a second
(`inference.row_cache.RowCache`), on every database engine: a change made in the admin is served by
every worker within a second, and the hot path runs about two queries a second, not one per
request. When the row says the model is
enabled, available and already loaded, the network comes straight from the cache; anything else
(no default row, a disabled or broken model, a network not loaded yet) goes through
`registry.services.resolve_model`, which applies every rule and raises the registry's errors.

When the database goes away, the last row read is served for up to `HIPPO_DB_STALE_SECONDS` after
it was read, so `/predict`, `/activations`, `/predict/image` and the weights of a network already
loaded keep answering through a short outage; then, and for anything needing a query, 503
`database_unavailable` (`api.errors`) with `Retry-After`.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from inference.network_cache import CacheKey, get_network_cache
from inference.row_cache import RowCache
from nn_core.sequential import Sequential
from registry import services as registry
from registry.models import RegisteredModel, Status

_COLUMNS = ("name", "store", "repo", "filename", "revision", "enabled", "status")
_NAME_PLACEHOLDER = "__hippo_name__"


@functools.cache
def _compiled(by_name: bool) -> tuple[str, tuple[Any, ...], str]:
    """SQL, parameters and database alias of the row lookup (by name, or the default)."""
    rows = RegisteredModel.objects.order_by()
    rows = rows.filter(name=_NAME_PLACEHOLDER) if by_name else rows.filter(is_default=True)
    query = rows.values_list(*_COLUMNS)[:1]
    sql, params = query.query.sql_with_params()
    return sql, tuple(params), query.db


def _connection() -> BaseDatabaseWrapper:
    return connections[_compiled(False)[2]]


def _stale_seconds() -> float:
    return max(0.0, float(settings.HIPPO_DB_STALE_SECONDS))


ROWS = RowCache(_connection, stale_if_error=_stale_seconds)
"""This process's cache of model rows (the default under the key None): while the database
fails, a row read less than `HIPPO_DB_STALE_SECONDS` ago is still served (see
`inference.row_cache`), so a network already loaded keeps answering through a short outage."""


def _query(name: str | None, connection: BaseDatabaseWrapper) -> tuple[Any, ...] | None:
    sql, params, _alias = _compiled(name is not None)
    if name is not None:
        params = tuple(name if param == _NAME_PLACEHOLDER else param for param in params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row: tuple[Any, ...] | None = cursor.fetchone()
    return row


def _row(name: str | None) -> tuple[Any, ...] | None:
    """`_COLUMNS` of the model called `name` (None: the default), or None when there is none."""
    row: tuple[Any, ...] | None = ROWS.get(name, lambda connection: _query(name, connection))
    return row


def cache_key(entry: RegisteredModel) -> CacheKey:
    """The network cache key of a registered model: `(store, repo, file, revision)`."""
    return (entry.store, entry.repo, entry.filename, entry.revision)


def network_for(entry: RegisteredModel) -> Sequential:
    """The loaded network of `entry`, from the cache (loaded once per process and revision)."""
    network = get_network_cache().get_or_load(
        cache_key(entry), lambda: registry.load_network(entry)
    )
    if not isinstance(network, Sequential):  # only networks are ever stored
        raise TypeError(f"the network cache holds a {type(network).__name__}")
    return network


def resolve_network(name: str | None) -> tuple[str, Sequential]:
    """The name and loaded network of the model called `name`, or of the default when None.

    Raises:
        ModelNotFound, NoDefaultModel, ModelUnavailable, ModelBroken: from the registry.
    """
    row = _row(name)
    if row is not None:
        found, store, repo, filename, revision, enabled, status = row
        if enabled and status == Status.AVAILABLE:
            network = get_network_cache().peek((store, repo, filename, revision))
            if isinstance(network, Sequential):
                return str(found), network
    entry = registry.resolve_model(name)
    return entry.name, network_for(entry)
