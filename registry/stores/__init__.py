"""Model stores: the Hugging Face Hub (when `HF_MODEL_REPO` is set) or a local directory."""

from __future__ import annotations

import os

from django.conf import settings

from registry.stores.base import FileContent, ModelStore, Snapshot, StoredFile
from registry.stores.hub import HubStore
from registry.stores.local import LocalStore

__all__ = [
    "FileContent",
    "HubStore",
    "LocalStore",
    "ModelStore",
    "Snapshot",
    "StoredFile",
    "get_store",
    "hub_token",
]

TOKEN_VARIABLES = ("HF_TOKEN", "HUGGINGFACE_TOKEN")
"""Environment variables holding the Hub token (`HUGGINGFACE_TOKEN` is the seed's name)."""


def hub_token() -> str | None:
    """The Hub token from the environment, or None.

    Read on every call, never stored in settings, the database or a log.
    """
    for variable in TOKEN_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value:
            return value
    return None


def get_store() -> ModelStore:
    """The configured store: the Hub repo `HF_MODEL_REPO` if set, else `HIPPO_LOCAL_HUB`."""
    repo_id = settings.HF_MODEL_REPO
    if repo_id:
        cache_dir = getattr(settings, "HIPPO_HF_CACHE", None)
        return HubStore(
            repo_id, token=hub_token(), endpoint=settings.HF_ENDPOINT, cache_dir=cache_dir
        )
    return LocalStore(settings.HIPPO_LOCAL_HUB)
