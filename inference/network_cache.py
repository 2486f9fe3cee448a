"""A per-process, thread-safe LRU cache of loaded networks.

Keys are `(store, repo, file, revision)`: a new revision of a model is a new key, so a stale
network is never served, and the old one simply ages out. Each key has its own lock, so a model is
loaded once per process even when many threads ask for it at the same moment, while hits and loads
of other models do not wait for it.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from django.conf import settings

CacheKey = tuple[str, str, str, str]
"""`(store, repo, file, revision)` of a model."""


@dataclass(frozen=True)
class CacheStats:
    """Counters of a cache since it was created or cleared."""

    hits: int
    misses: int
    loads: int
    evictions: int
    size: int
    max_size: int


class LRUCache[V]:
    """A thread-safe LRU map whose values are built at most once per key by `get_or_load`.

    Args:
        max_size: The most values kept; the least recently used one is dropped beyond it.
    """

    def __init__(self, max_size: int) -> None:
        if max_size < 1:
            raise ValueError(f"max_size must be at least 1, got {max_size}")
        self.max_size = max_size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._hits = self._misses = self._evictions = 0
        self.loads_per_key: Counter[Hashable] = Counter()

    def get_or_load(self, key: Hashable, load: Callable[[], V]) -> V:
        """Return the value for `key`, calling `load()` once if it is not cached.

        Concurrent callers with the same key wait for the one load; a failing load caches nothing
        and its exception reaches the caller (the next call tries again).
        """
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self._hits += 1
                return self._items[key]
            self._misses += 1
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._items:  # loaded by another thread while this one waited
                    self._items.move_to_end(key)
                    return self._items[key]
            value = load()
            with self._lock:
                self.loads_per_key[key] += 1
                self._items[key] = value
                while len(self._items) > self.max_size:
                    old_key, _ = self._items.popitem(last=False)
                    self._key_locks.pop(old_key, None)
                    self._evictions += 1
            return value

    def peek(self, key: Hashable) -> V | None:
        """Return the cached value for `key` (counted as a hit), or None without loading it."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
                self._hits += 1
            return value

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def clear(self) -> None:
        """Drop every value and reset the counters."""
        with self._lock:
            self._items.clear()
            self._key_locks.clear()
            self._hits = self._misses = self._evictions = 0
            self.loads_per_key.clear()

    def stats(self) -> CacheStats:
        """Return the counters (hits, misses, loads, evictions) and the current size."""
        with self._lock:
            return CacheStats(
                hits=self._hits,
                misses=self._misses,
                loads=sum(self.loads_per_key.values()),
                evictions=self._evictions,
                size=len(self._items),
                max_size=self.max_size,
            )


_cache: LRUCache[object] | None = None
_cache_lock = threading.Lock()


def get_network_cache() -> LRUCache[object]:
    """Return this process's network cache, created on first use (`HIPPO_MODEL_CACHE_SIZE`)."""
    global _cache
    if _cache is None:
        with _cache_lock:
            if _cache is None:
                _cache = LRUCache(int(settings.HIPPO_MODEL_CACHE_SIZE))
    return _cache


def reset_network_cache() -> None:
    """Forget the process's cache (tests; a new size setting takes effect on next use)."""
    global _cache
    with _cache_lock:
        _cache = None
