"""What this process has refused: lockouts until they end, and the paths log-ins happen at.

Filled when axes answers a lockout (`login_guard.responses`) or a log-in finds no hashing slot
(`login_guard.middleware`); read by `login_guard.gate` to refuse again before the session, CSRF
and form work. The database stays the authority: an entry only ever lasts until the lockout's own
end. Bounded: `MAX_ENTRIES` lockouts (expired ones, then the oldest, make room) and `MAX_PATHS`
paths.
"""

from __future__ import annotations

import threading
import time
from typing import Final

MAX_ENTRIES: Final = 10_000
MAX_PATHS: Final = 64

Key = tuple[str, str, str | None]
"""(client address, path, username; None: every username from that address)."""

_lock = threading.Lock()
_until: dict[Key, float] = {}
_paths: set[str] = set()


def remember_path(path: str) -> None:
    """Note `path` as one where log-ins happen."""
    with _lock:
        if path not in _paths and len(_paths) < MAX_PATHS:
            _paths.add(path)


def is_login_path(path: str) -> bool:
    """Whether a log-in has been seen at `path`."""
    return path in _paths


def remember_lockout(key: Key, seconds: int) -> None:
    """Refuse log-ins matching `key` for `seconds`."""
    remember_path(key[1])
    now = time.monotonic()
    with _lock:
        if len(_until) >= MAX_ENTRIES:
            for old in [old for old, end in _until.items() if end <= now]:
                del _until[old]
            while len(_until) >= MAX_ENTRIES:
                del _until[next(iter(_until))]
        _until[key] = now + seconds


def remaining(key: Key) -> int | None:
    """Whole seconds (at least 1) until the lockout of `key` ends; None when there is none."""
    end = _until.get(key)
    if end is None:
        return None
    left = end - time.monotonic()
    if left <= 0:
        with _lock:
            _until.pop(key, None)
        return None
    return max(1, int(left + 0.999))


def has_account_lockouts(address: str, path: str) -> bool:
    """Whether some account is locked out from `address` at `path` (worth reading the form)."""
    with _lock:
        return any(k[0] == address and k[1] == path and k[2] is not None for k in _until)


def forget_all() -> None:
    """Drop everything remembered (tests)."""
    with _lock:
        _until.clear()
        _paths.clear()
