"""Model stores: the Hugging Face Hub (when `HF_MODEL_REPO` is set) or a local directory.

Every store object of the project is built here (`open_store`): the configured one (`get_store`)
and the one holding a registry row's files (`store_for`), so the Hub's token, endpoint and cache
are chosen in one place.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from registry.stores.base import FileContent, ModelStore, Snapshot, StoredFile
from registry.stores.hub import HubStore
from registry.stores.local import LocalStore

if TYPE_CHECKING:
    from registry.models import RegisteredModel

__all__ = [
    "FileContent",
    "HubStore",
    "LocalStore",
    "ModelStore",
    "Snapshot",
    "StoredFile",
    "get_store",
    "hub_token",
    "open_store",
    "store_for",
]

TOKEN_VARIABLES = ("HF_TOKEN", "HUGGINGFACE_TOKEN")
"""Environment variables holding the Hub token (the original Hippo read `HUGGINGFACE_TOKEN`)."""


def hub_token() -> str | None:
    """The Hub token from the environment, or None.

    Read on every call, never stored in settings, the database or a log.
    """
    for variable in TOKEN_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value:
            return value
    return None


def open_store(kind: str, repo: str | Path) -> ModelStore:
    """The store of `kind` ("hub" or "local") at `repo` (a Hub repo id, or a folder).

    A Hub store gets the token, endpoint and cache of the settings as they are now.
    """
    if kind == HubStore.kind:
        return HubStore(
            str(repo),
            token=hub_token(),
            endpoint=settings.HF_ENDPOINT,
            cache_dir=getattr(settings, "HIPPO_HF_CACHE", None),
        )
    return LocalStore(Path(repo))


def get_store() -> ModelStore:
    """The configured store: the Hub repo `HF_MODEL_REPO` if set, else `HIPPO_LOCAL_HUB`."""
    if settings.HF_MODEL_REPO:
        return open_store(HubStore.kind, settings.HF_MODEL_REPO)
    return open_store(LocalStore.kind, settings.HIPPO_LOCAL_HUB)


def store_for(entry: RegisteredModel) -> ModelStore:
    """The store holding `entry`'s files (its own, even if the configured store changed since)."""
    return open_store(entry.store, entry.repo)
