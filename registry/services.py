"""What the registry does, as plain functions (the commands, the admin and the API call these).

- `push_model` (registry.push) validates a local model, sends it with the regenerated model card
  in one commit, then records what the store holds.
- `sync_models` (registry.sync) mirrors the store's metadata into the database in one transaction.
- `resolve_model` / `get_default_model` / `load_network` serve the inference API: files are read
  at the revision recorded in the row, checked against the recorded SHA-256, validated and run
  over a probe batch; a model that fails is marked broken (the current default stays). A Hub
  model not in the local cache is fetched in the background (`registry.downloads`): requests
  never wait on the Hub.
- `make_default` is the only way a model becomes the default.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from nn_core.model_files import ModelFileError, load_model, sha256_file
from nn_core.sequential import Sequential
from registry.downloads import get_downloads
from registry.errors import (
    ModelBroken,
    ModelNotFound,
    ModelUnavailable,
    NoDefaultModel,
    StoreError,
)
from registry.hub_http import hub_operation
from registry.integrity import probe_problem
from registry.layout import MIRRORED_FIELDS
from registry.models import RegisteredModel, Status, Store
from registry.push import push_model
from registry.stores import HubStore, LocalStore, ModelStore, hub_token
from registry.sync import SyncReport, sync_models

__all__ = [
    "MIRRORED_FIELDS",
    "SyncReport",
    "get_default_model",
    "list_enabled_models",
    "load_network",
    "make_default",
    "model_image_bytes",
    "push_model",
    "resolve_model",
    "store_for",
    "sync_models",
]

logger = logging.getLogger(__name__)

# --- reading the registry -----------------------------------------------------------------------


def list_enabled_models() -> QuerySet[RegisteredModel]:
    """The enabled models (whatever their status), ordered by name."""
    return RegisteredModel.objects.filter(enabled=True).order_by("name")


def get_default_model() -> RegisteredModel:
    """The default model: the one chosen (admin, sync), else the one `DEFAULT_MODEL` names.

    Raises:
        NoDefaultModel: No model is the default and `DEFAULT_MODEL` names no registered model.
    """
    entry = RegisteredModel.objects.filter(is_default=True).first()
    if entry is None and settings.DEFAULT_MODEL:
        entry = RegisteredModel.objects.filter(name=settings.DEFAULT_MODEL).first()
    if entry is None:
        raise NoDefaultModel(
            "no default model is set: choose one in the admin, or push or sync a model"
        )
    return entry


def _check_servable(entry: RegisteredModel) -> RegisteredModel:
    if entry.status == Status.BROKEN:
        raise ModelBroken(f"model '{entry.name}' is broken: {entry.status_reason}")
    if entry.status == Status.UNAVAILABLE:
        reason = f": {entry.status_reason}" if entry.status_reason else ""
        raise ModelUnavailable(f"model '{entry.name}' is unavailable{reason}")
    if not entry.enabled:
        raise ModelUnavailable(f"model '{entry.name}' is disabled")
    return entry


def resolve_model(name: str | None) -> RegisteredModel:
    """The servable model called `name`, or the default model when `name` is None.

    Raises:
        ModelNotFound: No model has that name.
        NoDefaultModel: `name` is None and there is no default.
        ModelUnavailable: The model is disabled or no longer in the store.
        ModelBroken: The model's files failed verification.
    """
    if name is None:
        return _check_servable(get_default_model())
    entry = RegisteredModel.objects.filter(name=name).first()
    if entry is None:
        raise ModelNotFound(f"no model named '{name}'")
    return _check_servable(entry)


# --- stores of rows -----------------------------------------------------------------------------


def store_for(entry: RegisteredModel) -> ModelStore:
    """The store holding `entry`'s files (its own, even if the configured store changed since)."""
    if entry.store == Store.LOCAL:
        return LocalStore(Path(entry.repo))
    return HubStore(
        entry.repo,
        token=hub_token(),
        endpoint=settings.HF_ENDPOINT,
        cache_dir=getattr(settings, "HIPPO_HF_CACHE", None),
    )


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

        key = (entry.store, entry.repo, entry.filename, entry.revision)
        raise get_downloads().request(key, entry.name, fetch)
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
    """Fetch `entry`'s files at its revision, verify the SHA-256, validate and probe them.

    A failing checksum, validation or probe forward pass (`registry.integrity`) marks the row
    broken (with the reason) and discards the cached files; the default model is left as it is.

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

    def broken(reason: str) -> ModelBroken:
        store.discard(entry.filename, entry.revision)
        store.discard(entry.metadata_filename, entry.revision)
        if mark_broken:
            return _mark_broken(entry, reason)
        return ModelBroken(f"model '{entry.name}' is broken: {reason}")

    if entry.sha256:
        actual = sha256_file(weights)
        if actual != entry.sha256:
            raise broken(
                f"checksum mismatch: {entry.filename} at revision {entry.revision[:12]} has "
                f"SHA-256 {actual}, expected {entry.sha256}"
            )
    try:
        loaded = load_model(weights, metadata)
    except (ModelFileError, OSError) as exc:
        raise broken(f"{entry.filename} failed validation: {exc}") from None
    if list(loaded.network.sizes) != list(entry.sizes):
        raise broken(
            f"layer sizes {loaded.network.sizes} of the file differ from the registered "
            f"{list(entry.sizes)}"
        )
    problem = probe_problem(loaded.network)
    if problem:
        raise broken(f"{entry.filename} {problem}")
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


# --- the default --------------------------------------------------------------------------------


def make_default(entry: RegisteredModel, *, validate: bool = True) -> None:
    """Make `entry` the one default model.

    Args:
        entry: The model.
        validate: Load the model first (checksum and shapes), so a broken model never becomes
            the default.

    Raises:
        ModelBroken, ModelUnavailable: The model is broken, disabled or not in the store; the
            current default stays.
    """
    entry.refresh_from_db()
    _check_servable(entry)
    if validate:
        load_network(entry, wait=True)
    with transaction.atomic():
        RegisteredModel.objects.filter(is_default=True).exclude(pk=entry.pk).update(
            is_default=False
        )
        RegisteredModel.objects.filter(pk=entry.pk).update(is_default=True)
    entry.is_default = True
    logger.info("default model is now %s", entry.name)
