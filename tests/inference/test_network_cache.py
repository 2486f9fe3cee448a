"""The per-process LRU cache of networks: one load per key, LRU eviction, thread safety."""

from __future__ import annotations

import threading
import time

import pytest

from inference.network_cache import LRUCache, get_network_cache, reset_network_cache


def test_loads_once_then_hits() -> None:
    cache: LRUCache[str] = LRUCache(2)
    calls: list[str] = []

    def load() -> str:
        calls.append("a")
        return "network-a"

    key = ("local", "repo", "a.safetensors", "rev1")
    assert cache.get_or_load(key, load) == "network-a"
    assert cache.get_or_load(key, load) == "network-a"
    assert calls == ["a"]
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.loads, stats.size) == (1, 1, 1, 1)


def test_evicts_least_recently_used() -> None:
    cache: LRUCache[str] = LRUCache(2)
    cache.get_or_load("a", lambda: "A")
    cache.get_or_load("b", lambda: "B")
    cache.get_or_load("a", lambda: "A")  # a is now the most recent
    cache.get_or_load("c", lambda: "C")
    assert "a" in cache
    assert "b" not in cache
    assert "c" in cache
    assert cache.stats().evictions == 1


def test_a_new_revision_is_a_new_entry() -> None:
    cache: LRUCache[str] = LRUCache(4)
    cache.get_or_load(("local", "r", "m", "rev1"), lambda: "old")
    assert cache.get_or_load(("local", "r", "m", "rev2"), lambda: "new") == "new"
    assert cache.stats().loads == 2


def test_failed_load_caches_nothing() -> None:
    cache: LRUCache[str] = LRUCache(2)

    def broken() -> str:
        raise ValueError("broken file")

    with pytest.raises(ValueError, match="broken file"):
        cache.get_or_load("k", broken)
    assert "k" not in cache
    assert cache.get_or_load("k", lambda: "fixed") == "fixed"


def test_concurrent_callers_share_one_load() -> None:
    cache: LRUCache[str] = LRUCache(2)
    loads = 0
    started = threading.Event()
    release = threading.Event()

    def slow_load() -> str:
        nonlocal loads
        loads += 1
        started.set()
        # Hold the key lock until every other caller has missed and queued behind it.
        assert release.wait(timeout=30), "the test never released the load"
        return "network"

    results: list[str] = []

    def call() -> None:
        results.append(cache.get_or_load("k", slow_load))

    first = threading.Thread(target=call)
    first.start()
    assert started.wait(timeout=30)  # the first caller is inside the load, holding the key lock
    others = [threading.Thread(target=call) for _ in range(7)]
    for thread in others:
        thread.start()
    # Each caller counts its miss before it waits for the key lock: 8 misses mean all 7 others
    # found no value and now wait for the one load in progress.
    deadline = time.monotonic() + 30
    while cache.stats().misses < 8:
        assert time.monotonic() < deadline, cache.stats()
        time.sleep(0.001)
    release.set()
    for thread in (first, *others):
        thread.join(timeout=30)
        assert not thread.is_alive()
    assert loads == 1
    assert results == ["network"] * 8
    assert cache.loads_per_key["k"] == 1
    assert cache.stats().misses == 8  # none of the 7 was a plain hit: they all shared the load


def test_rejects_zero_size() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        LRUCache(0)


def test_process_cache_uses_the_setting(settings: object) -> None:
    settings.HIPPO_MODEL_CACHE_SIZE = 3  # type: ignore[attr-defined]
    reset_network_cache()
    try:
        assert get_network_cache().max_size == 3
        assert get_network_cache() is get_network_cache()
    finally:
        reset_network_cache()
