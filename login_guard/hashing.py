"""Password hashing with bounded concurrency, on low-priority threads of its own.

A password hash is deliberately slow (PBKDF2: ~0.4 s of one core here). Run on the request
thread, every concurrent log-in holds one of the worker's few threads and one core, and eight of
them took `POST /predict` from 788 to 4 requests/s. Here each process hashes on at most
`HIPPO_LOGIN_HASHERS` threads of its own:

- a log-in that finds every hashing slot taken within `HIPPO_LOGIN_HASH_WAIT_MS` is refused at
  once (`HashingBusy`, a 429), so waiting log-ins never pile up on the threads that serve;
- the hashing threads run at a lower CPU priority (`HIPPO_LOGIN_HASH_NICE`, Linux only: a thread's
  nice value), so when the cores are busy, serving requests get them first and a log-in takes
  longer instead.

The request thread waits for its hash (blocked, using no CPU). A priority, once lowered, cannot be
raised again without privileges, which is why hashing has threads of its own rather than lowering
the request thread's.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Final

from django.conf import settings

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS: Final = 1
"""`Retry-After` of a log-in refused because every hashing slot was busy."""
RESULT_TIMEOUT_SECONDS: Final = 30.0
"""Longest a log-in waits for its own hash (at a low priority on saturated cores it can be slow)."""


class HashingBusy(Exception):  # noqa: N818 - a condition, not an error of the caller
    """Every password-hashing slot of this process is taken: the log-in is refused, not failed."""

    retry_after = RETRY_AFTER_SECONDS


_inside = threading.local()
"""Marks the hashing threads: a hasher calling itself (verify -> encode) runs directly there."""


def _hashing_thread_start(niceness: int) -> None:
    _inside.active = True
    if niceness > 0 and sys.platform == "linux":
        try:
            # On Linux a thread id names one thread: only this one gets the lower priority.
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
        except OSError:  # e.g. a seccomp profile forbids it: bounded concurrency still holds
            log.warning("could not lower the priority of a password-hashing thread", exc_info=True)


class HashingSlots:
    """A process's password-hashing threads and the slots that bound how many hash at once.

    Args:
        slots: Hashes running at once (at least 1).
        wait: Seconds a log-in waits for a free slot before it is refused.
        niceness: Nice value of the hashing threads (0: the process's own priority).
    """

    def __init__(self, slots: int, wait: float, niceness: int) -> None:
        self.slots = max(1, slots)
        self.wait = max(0.0, wait)
        self._free = threading.BoundedSemaphore(self.slots)
        self._count_lock = threading.Lock()
        self._in_use = 0
        self._threads = ThreadPoolExecutor(
            max_workers=self.slots,
            thread_name_prefix="password-hash",
            initializer=_hashing_thread_start,
            initargs=(niceness,),
        )

    def run[T](self, work: Callable[[], T]) -> T:
        """Run `work` (one hash) on a hashing thread and return its result.

        Raises:
            HashingBusy: No slot came free within `wait`, or the hash did not finish in time.
        """
        if getattr(_inside, "active", False):
            return work()  # already on a hashing thread, holding a slot
        acquired = self._free.acquire(timeout=self.wait) if self.wait else self._free.acquire(False)
        if not acquired:
            raise HashingBusy
        self._count(+1)
        try:
            job: Future[T] = self._threads.submit(work)
        except BaseException:
            self._release()
            raise
        # The slot is the thread's until the hash ends, even if the caller stops waiting for it.
        job.add_done_callback(lambda _: self._release())
        try:
            return job.result(timeout=RESULT_TIMEOUT_SECONDS)
        except FutureTimeout:
            raise HashingBusy from None

    def has_free(self) -> bool:
        """Whether a slot is free right now (a hint: another thread may take it next)."""
        return self._in_use < self.slots

    def _count(self, change: int) -> None:
        with self._count_lock:
            self._in_use += change

    def _release(self) -> None:
        self._count(-1)
        self._free.release()


_slots: HashingSlots | None = None
_slots_pid = 0
_slots_lock = threading.Lock()


def hashing_slots() -> HashingSlots:
    """This process's hashing slots, made from the settings on first use (again after a fork)."""
    global _slots, _slots_pid  # one pool per process
    with _slots_lock:
        if _slots is None or _slots_pid != os.getpid():
            _slots = HashingSlots(
                settings.HIPPO_LOGIN_HASHERS,
                settings.HIPPO_LOGIN_HASH_WAIT_MS / 1000,
                settings.HIPPO_LOGIN_HASH_NICE,
            )
            _slots_pid = os.getpid()
        return _slots


def bounded[T](work: Callable[[], T]) -> T:
    """Run one password hash within this process's hashing slots (see `HashingSlots.run`)."""
    return hashing_slots().run(work)
