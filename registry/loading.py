"""Reading a registered model's files: the verified network (`load_network`) and its curves.

Files are read at the revision recorded in the row and go through `integrity.check_files`
(recorded SHA-256 of the weights and of the metadata, validation, layer sizes, probe); a model
that fails is marked broken, with the reason, and its cached files are discarded (the current
default stays). A Hub model not in the
local cache is fetched by a background download (`registry.downloads`): requests never wait on
the Hub.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings

from nn_core.sequential import Sequential
from registry.downloads import download_key, get_downloads
from registry.errors import ModelBroken, ModelUnavailable, StoreError
from registry.hub_http import hub_operation
from registry.integrity import FilesRejected, check_files, note_unverified_metadata
from registry.models import RegisteredModel, Status, Store
from registry.stores import ModelStore, store_for

logger = logging.getLogger(__name__)


def _mark_broken(entry: RegisteredModel, reason: str) -> ModelBroken:
    RegisteredModel.objects.filter(pk=entry.pk).update(status=Status.BROKEN, status_reason=reason)
    entry.status, entry.status_reason = Status.BROKEN, reason
    logger.warning("model %s marked broken: %s", entry.name, reason)
    return ModelBroken(f"model '{entry.name}' is broken: {reason}")


def _fetch_files(entry: RegisteredModel, store: ModelStore, *, wait: bool) -> tuple[Path, Path]:
    """Local paths of `entry`'s weights and metadata.

    A Hub model not in the cache yet is fetched by a background download unless `wait`: the
    caller (a request) is answered at once with `ModelPending` instead of waiting on the Hub.
    """
    if store.kind == Store.HUB and not wait:
        weights = store.cached(entry.filename, entry.revision)
        metadata = store.cached(entry.metadata_filename, entry.revision)
        if weights is not None and metadata is not None:
            return weights, metadata

        def fetch() -> None:
            store.fetch(entry.filename, entry.revision)
            store.fetch(entry.metadata_filename, entry.revision)

        raise get_downloads().request(download_key(entry), entry.name, fetch)
    try:
        with hub_operation(f"fetching model {entry.name}"):
            return (
                store.fetch(entry.filename, entry.revision),
                store.fetch(entry.metadata_filename, entry.revision),
            )
    except StoreError as exc:
        raise ModelUnavailable(f"model '{entry.name}' cannot be fetched: {exc.message}") from None


def load_network(
    entry: RegisteredModel, *, mark_broken: bool = True, wait: bool = False
) -> Sequential:
    """Fetch `entry`'s files at its revision, verify their SHA-256, validate and probe them.

    A failing checksum (weights or metadata), validation or probe forward pass
    (`registry.integrity`) marks the row broken (with the reason) and discards the cached files;
    the default model is left as it is.

    Args:
        entry: The model.
        mark_broken: Record a failure in the registry (False: only raise).
        wait: Fetch uncached Hub files here, within `HIPPO_HUB_DEADLINE` (commands, the admin);
            False (requests): a background download fetches them, see `registry.downloads`.

    Raises:
        ModelBroken: The files failed verification.
        ModelPending: A Hub model's files are being downloaded, or the Hub was unreachable.
        ModelUnavailable: The store cannot provide the files right now.
    """
    store = store_for(entry)
    weights, metadata = _fetch_files(entry, store, wait=wait)
    if not entry.metadata_sha256:
        note_unverified_metadata(entry.name, entry.revision)
    try:
        loaded = check_files(
            weights,
            metadata,
            sha256=entry.sha256 or None,
            metadata_sha256=entry.metadata_sha256 or None,
            sizes=entry.sizes,
        )
    except FilesRejected as rejected:
        # Damaged bytes must not stay in the cache: the next attempt fetches them again.
        store.discard(entry.filename, entry.revision)
        store.discard(entry.metadata_filename, entry.revision)
        reason = rejected.reason(entry.filename, entry.revision)
        if mark_broken:
            raise _mark_broken(entry, reason) from None
        raise ModelBroken(f"model '{entry.name}' is broken: {reason}") from None
    return loaded.network


def model_image_bytes(entry: RegisteredModel) -> bytes | None:
    """The training-curve PNG of `entry`, or None when there is none or it cannot be fetched."""
    if not entry.image_filename:
        return None
    # Shown in the admin, inside a web request: the admin's deadline applies.
    deadline = float(getattr(settings, "HIPPO_HUB_ADMIN_DEADLINE", 20))
    try:
        with hub_operation(f"fetching the curves of {entry.name}", deadline):
            return store_for(entry).fetch(entry.image_filename, entry.revision).read_bytes()
    except (StoreError, OSError) as exc:
        logger.warning("training curves of %s unavailable: %s", entry.name, exc)
        return None
