"""Background downloads of Hub models, so no request ever waits on the Hub.

A request for a Hub model whose files are not in the local cache does not fetch them: it starts
(at most once per model file and revision) a download on a background thread and is answered at
once with `ModelPending` (503: "downloading", or "Hub unreachable" with what the last attempt
met). The threads are daemons, one per key, and at most `HIPPO_HUB_DOWNLOADS` of them talk to the
Hub at a time; each download is one `hub_operation`, so it ends by `HIPPO_HUB_DEADLINE`. After a
failure the next attempt starts on the first request after `HIPPO_HUB_RETRY_AFTER` seconds.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings

from registry.errors import ModelPending, StoreError
from registry.hub_http import hub_operation
from registry.stores import store_for

if TYPE_CHECKING:
    from registry.models import RegisteredModel

logger = logging.getLogger(__name__)

DOWNLOADING_RETRY_AFTER = 2
"""Seconds a client is told to wait while a download runs (small models arrive in ~1 s)."""


@dataclass
class DownloadState:
    """One key's download: running, or finished with an error (a success forgets the key)."""

    running: bool
    error: str = ""
    finished_at: float = 0.0


class Downloads:
    """The process's background downloads, keyed by model file and revision."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[Hashable, DownloadState] = {}
        self._slots = threading.BoundedSemaphore(
            max(1, int(getattr(settings, "HIPPO_HUB_DOWNLOADS", 2)))
        )

    def state(self, key: Hashable) -> DownloadState | None:
        """The key's state (None: never started, or finished well)."""
        with self._lock:
            return self._states.get(key)

    def request(self, key: Hashable, name: str, fetch: Callable[[], None]) -> ModelPending:
        """Start `fetch` for `key` unless it runs or failed recently; say what the caller sees.

        Args:
            key: What is downloaded (model file and revision).
            name: The model's name, for messages.
            fetch: Downloads the files into the cache; raises `StoreError` on failure.

        Returns:
            The error to answer the request with (the caller raises it).
        """
        cool_down = float(getattr(settings, "HIPPO_HUB_RETRY_AFTER", 10.0))
        with self._lock:
            state = self._states.get(key)
            if state is not None and not state.running:
                waited = time.monotonic() - state.finished_at
                if waited < cool_down:
                    retry_after = max(1, round(cool_down - waited))
                    return ModelPending(
                        f"model '{name}' cannot be served yet: the Hugging Face Hub was "
                        f"unreachable when its files were last fetched ({state.error}); the next "
                        f"attempt starts in {retry_after} s",
                        retry_after=retry_after,
                        downloading=False,
                    )
            if state is None or not state.running:
                self._states[key] = DownloadState(running=True)
                thread = threading.Thread(
                    target=self._run,
                    args=(key, name, fetch),
                    name=f"hippo-hub-download-{name}",
                    daemon=True,
                )
                thread.start()
        return ModelPending(
            f"model '{name}' is being downloaded from the Hugging Face Hub; try again in a few "
            "seconds",
            retry_after=DOWNLOADING_RETRY_AFTER,
            downloading=True,
        )

    def _run(self, key: Hashable, name: str, fetch: Callable[[], None]) -> None:
        error = ""
        with self._slots:
            started = time.monotonic()
            try:
                with hub_operation(f"downloading model {name}"):
                    fetch()
            except StoreError as exc:
                error = exc.message
            except Exception as exc:  # a thread must record every failure, not die silently
                logger.exception("background download of %s failed", name)
                error = f"unexpected error ({type(exc).__name__})"
        with self._lock:
            if error:
                self._states[key] = DownloadState(False, error, time.monotonic())
            else:
                self._states.pop(key, None)
        if error:
            logger.warning("download of model %s failed: %s", name, error)
        else:
            logger.info("downloaded model %s in %.1f s", name, time.monotonic() - started)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no download runs (tests, shutdown); False when `timeout` passed first."""
        ends = time.monotonic() + timeout
        while time.monotonic() < ends:
            with self._lock:
                if not any(state.running for state in self._states.values()):
                    return True
            time.sleep(0.02)
        return False


_downloads: Downloads | None = None
_downloads_lock = threading.Lock()


def get_downloads() -> Downloads:
    """This process's downloads (created on first use)."""
    global _downloads
    if _downloads is None:
        with _downloads_lock:
            if _downloads is None:
                _downloads = Downloads()
    return _downloads


def reset_downloads() -> None:
    """Forget every download state (tests; a forked worker starts with none)."""
    global _downloads
    _downloads = None


os.register_at_fork(after_in_child=reset_downloads)


def download_key(entry: RegisteredModel) -> Hashable:
    """What one download fetches: a model file at a revision of a store."""
    return (entry.store, entry.repo, entry.filename, entry.revision)


def hub_state(entry: RegisteredModel) -> tuple[str, str]:
    """Where `entry`'s files stand, without a request: (state, detail).

    States: "not_used" (a local-store model), "cached" (served without the Hub),
    "downloading", "unreachable" (the last download failed; detail says how), "not_fetched".
    """
    if entry.store != "hub":
        return "not_used", f"model '{entry.name}' is in the local store"
    store = store_for(entry)
    if all(
        store.cached(name, entry.revision) is not None
        for name in (entry.filename, entry.metadata_filename)
    ):
        return "cached", f"model '{entry.name}' is in the local Hub cache"
    state = get_downloads().state(download_key(entry))
    if state is None:
        return "not_fetched", f"model '{entry.name}' is not downloaded yet"
    if state.running:
        return "downloading", f"model '{entry.name}' is being downloaded from the Hub"
    return "unreachable", f"the last download of model '{entry.name}' failed: {state.error}"
