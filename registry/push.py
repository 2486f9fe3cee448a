"""`push_model`: validate a local model, push it with the model card in one commit, register it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import time
from pathlib import Path

from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.text import slugify

from nn_core.model_files import ModelFileError, ModelMetadata, read_metadata, sha256_file
from registry.defaults import choose_initial_default
from registry.errors import CommitConflict, InvalidModel, RegistryError, StoreError
from registry.hub_http import hub_operation
from registry.integrity import FilesRejected, check_files, fetch_verified
from registry.layout import (
    CARD_FILENAME,
    IMAGE_SUFFIX,
    METADATA_SUFFIX,
    WEIGHTS_SUFFIX,
    card_entry,
    metadata_reference,
    mirror_fields,
    model_names,
    read_stored_metadata,
    recorded_checksums,
)
from registry.model_card import CardEntry, render_model_card
from registry.models import DISPLAY_NAME_LENGTH, RegisteredModel, Status
from registry.names import check_model_name
from registry.stores import FileContent, ModelStore, Snapshot, get_store

logger = logging.getLogger(__name__)

COMMIT_ATTEMPTS = 4
"""Commits tried when another push moves the store's head in between (each re-reads the head)."""


def _validated_local_model(weights_path: Path) -> ModelMetadata:
    if weights_path.suffix != WEIGHTS_SUFFIX or not weights_path.is_file():
        raise InvalidModel(f"{weights_path} is not a {WEIGHTS_SUFFIX} file")
    metadata_path = weights_path.with_suffix(METADATA_SUFFIX)
    if not metadata_path.is_file():
        raise InvalidModel(f"{metadata_path} is missing: a model is pushed with its metadata")
    try:
        return check_files(weights_path, metadata_path).metadata
    except FilesRejected as rejected:
        raise InvalidModel(f"{weights_path} cannot be pushed: it {rejected.detail}") from None


def _model_name(name: str | None, metadata: ModelMetadata, weights_path: Path) -> str:
    """The registry name of the pushed model: `name` (or the metadata's) as a checked slug.

    Checked here, before anything is written: a name the registry row cannot hold must not be
    committed to the store first.
    """
    given = name or metadata.name or weights_path.stem
    slug = slugify(given)
    if not slug:
        raise InvalidModel(f"'{name}' gives an empty model name")
    check_model_name(slug)
    if name and name != slug and len(name) > DISPLAY_NAME_LENGTH:
        raise InvalidModel(
            f"the display name '{name[:40]}...' is {len(name)} characters long: at most "
            f"{DISPLAY_NAME_LENGTH} are allowed"
        )
    return slug


def push_model(
    weights_path: Path | str,
    *,
    name: str | None = None,
    accuracy: float | None = None,
    description: str | None = None,
    private: bool = False,
    store: ModelStore | None = None,
) -> RegisteredModel:
    """Validate a local model, push it to the store in one commit, and register what was stored.

    The commit holds `<name>.safetensors`, `<name>.json` (the metadata with the name, description
    and accuracy given here), `<name>.png` when a PNG sits beside the weights, and README.md
    regenerated to list every model of the repository.

    Args:
        weights_path: The `.safetensors` file; its metadata is the `.json` beside it.
        name: The model's name (slugified; the original text becomes the display name). Default:
            the metadata's name.
        accuracy: Test accuracy in percent, overriding the metadata's.
        description: Overrides the metadata's description.
        private: Create the Hub repository private if it does not exist yet.
        store: The store (default: the configured one).

    Returns:
        The registry row, as stored (revision included).

    Raises:
        InvalidModel: The local model is broken or inconsistent, or its name is one the
            registry cannot hold (`InvalidModelName`); nothing was sent.
        StoreError: The store refused or failed (TokenMissing, TokenRejected, StoreUnreachable);
            the registry is unchanged.
    """
    weights_path = Path(weights_path)
    metadata = _validated_local_model(weights_path)
    slug = _model_name(name, metadata, weights_path)
    if accuracy is not None and not 0.0 <= accuracy <= 100.0:
        raise InvalidModel(f"accuracy must be a percentage in 0..100, got {accuracy}")
    metrics = dict(metadata.metrics or {})
    if accuracy is not None:
        metrics["test_accuracy"] = float(accuracy)
    metadata = dataclasses.replace(
        metadata,
        name=slug,
        metrics=metrics,
        description=metadata.description if description is None else description,
    )
    try:
        metadata_bytes = metadata.to_json().encode()
    except ModelFileError as exc:
        raise InvalidModel(f"the metadata of {weights_path} is invalid: {exc}") from None
    sha256 = sha256_file(weights_path)
    metadata_sha256 = hashlib.sha256(metadata_bytes).hexdigest()

    store = store or get_store()
    store.ensure_can_write()
    image = weights_path.with_suffix(IMAGE_SUFFIX)
    files: dict[str, FileContent] = {
        slug + WEIGHTS_SUFFIX: weights_path,
        slug + METADATA_SUFFIX: metadata_bytes,
        # Curves of an earlier version must not describe this one: no PNG beside the weights
        # deletes the stored one.
        slug + IMAGE_SUFFIX: image if image.is_file() else None,
    }
    this = dataclasses.replace(
        card_entry(
            slug,
            metadata,
            has_image=files[slug + IMAGE_SUFFIX] is not None,
            size=weights_path.stat().st_size,
        ),
        sha256=sha256,
        metadata_sha256=metadata_sha256,
    )
    with hub_operation(f"pushing {slug}"):
        revision = _commit_with_retries(store, slug, files, this, private=private)
        logger.info("pushed %s to %s at revision %s", slug, store.repo, revision)
        return _register_pushed(
            store,
            slug,
            revision,
            (sha256, metadata_sha256),
            name=name,
            description=description,
        )


def _card_entries(store: ModelStore, head: Snapshot | None, slug: str) -> list[CardEntry]:
    """The card entries of the other models at `head`, with their recorded checksums."""
    if head is None:
        return []
    recorded = recorded_checksums(store, head)
    entries = []
    for other in model_names(head):
        if other == slug:
            continue
        info = head.files[other + WEIGHTS_SUFFIX]
        entry = card_entry(
            other,
            read_stored_metadata(store, other, head.revision),
            has_image=other + IMAGE_SUFFIX in head.files,
            size=info.size,
        )
        sha = info.sha256 or recorded.get(other + WEIGHTS_SUFFIX)
        # Carried over as recorded, never computed from a download: a model pushed before
        # metadata checksums stays without one until it is pushed again.
        metadata_sha = metadata_reference(head, recorded, other)
        entries.append(dataclasses.replace(entry, sha256=sha, metadata_sha256=metadata_sha))
    return entries


def _commit_with_retries(
    store: ModelStore,
    slug: str,
    files: dict[str, FileContent],
    this: CardEntry,
    *,
    private: bool,
) -> str:
    """Commit on top of the current head; when another push moved it meanwhile, start again.

    Each attempt re-reads the head, so the card lists the other push's model too and no commit
    is lost. A missing repository is created first, so even a first push has a parent commit.
    """
    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        head = store.snapshot()
        if head is None:
            store.ensure_repository(private)
            head = store.snapshot()
        if head is None:
            raise StoreError(f"{store.repo} has no revision right after it was created")
        entries = [*_card_entries(store, head, slug), this]
        files[CARD_FILENAME] = render_model_card(store.repo, entries).encode()
        verb = "Update" if slug + WEIGHTS_SUFFIX in head.files else "Add"
        try:
            return store.commit(files, f"{verb} model {slug}", parent=head.revision)
        except CommitConflict as exc:
            logger.info("push of %s: %s (attempt %d)", slug, exc.message, attempt)
            time.sleep(0.05 * attempt)
    raise CommitConflict(
        f"{store.repo} kept changing while {slug} was pushed ({COMMIT_ATTEMPTS} attempts, each "
        "after another push committed first); nothing was written for it: run push_model again"
    )


def _register_pushed(
    store: ModelStore,
    slug: str,
    revision: str,
    checksums: tuple[str, str],
    *,
    name: str | None,
    description: str | None,
) -> RegisteredModel:
    """Upsert the row of a pushed model from what the store holds at `revision`.

    `checksums` are the SHA-256 of the weights and of the metadata as pushed; the stored copies
    must have them (a copy that does not is removed from the cache and fetched once more).
    """
    sha256, metadata_sha256 = checksums
    stored = store.snapshot(revision)
    if stored is None or slug + WEIGHTS_SUFFIX not in stored.files:
        raise StoreError(f"{slug} is missing from {store.repo} right after the push")
    recorded = stored.files[slug + WEIGHTS_SUFFIX].sha256
    if recorded is not None and recorded != sha256:
        raise StoreError(
            f"the store recorded SHA-256 {recorded} for {slug}, not the pushed {sha256}"
        )
    try:
        fetch_verified(store, slug + WEIGHTS_SUFFIX, revision, sha256)
        metadata_path = fetch_verified(store, slug + METADATA_SUFFIX, revision, metadata_sha256)
    except FilesRejected as rejected:
        raise StoreError(
            f"the store holds other files for {slug} than were pushed: "
            f"{rejected.reason(slug + WEIGHTS_SUFFIX, revision)}"
        ) from None
    try:
        metadata = read_metadata(metadata_path)
    except ModelFileError as exc:
        raise StoreError(f"the store returned unreadable metadata for {slug}: {exc}") from None
    fields = mirror_fields(
        store,
        slug,
        metadata,
        sha256=sha256,
        size_bytes=stored.files[slug + WEIGHTS_SUFFIX].size,
        has_image=slug + IMAGE_SUFFIX in stored.files,
        metadata_sha256=metadata_sha256,
    )
    now = timezone.now()
    try:
        return _write_row(slug, revision, fields, metadata, now, name=name, description=description)
    except DatabaseError as exc:
        # The commit stands (the store is the source of truth): a sync registers it later.
        raise RegistryError(
            f"{slug} was pushed to {store.repo} at revision {revision[:12]} but could not be "
            f"registered: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}; run "
            "sync_models once the database can be written again"
        ) from None


def _write_row(
    slug: str,
    revision: str,
    fields: dict[str, object],
    metadata: ModelMetadata,
    now: dt.datetime,
    *,
    name: str | None,
    description: str | None,
) -> RegisteredModel:
    """Upsert the pushed model's row (and choose the default when there is none)."""
    with transaction.atomic():
        entry, created = RegisteredModel.objects.get_or_create(
            name=slug, defaults={**fields, "revision": revision}
        )
        for key, value in fields.items():
            setattr(entry, key, value)
        entry.revision = revision
        entry.status, entry.status_reason = Status.AVAILABLE, ""
        entry.synced_at = now
        if created or description is not None:
            entry.description = metadata.description
        if name and name != slug:
            entry.display_name = name
        entry.save()
        choose_initial_default([])
    entry.refresh_from_db()
    return entry
