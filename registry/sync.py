"""`sync_models`: mirror the store's models into the registry, in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from nn_core.model_files import (
    ModelFileError,
    ModelMetadata,
    load_model,
    read_metadata,
    sha256_file,
)
from registry.defaults import choose_initial_default
from registry.errors import StoreError
from registry.layout import (
    IMAGE_SUFFIX,
    METADATA_SUFFIX,
    WEIGHTS_SUFFIX,
    mirror_fields,
    model_names,
)
from registry.models import RegisteredModel, Status
from registry.stores import HubStore, ModelStore, Snapshot, get_store

logger = logging.getLogger(__name__)


@dataclass
class SyncReport:
    """What `sync_models` changed.

    Attributes:
        store: The store that was mirrored ("hub owner/name" or "local /path").
        revision: The store's revision that was read (None: empty store).
        added, updated, unavailable, broken, unchanged: Model names per outcome.
        default: The default model after the sync.
        default_changed: Whether this sync chose the default (none existed before).
        notes: Other remarks (e.g. an unknown `DEFAULT_MODEL`).
    """

    store: str
    revision: str | None = None
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    default: str | None = None
    default_changed: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the registry changed."""
        return bool(
            self.added or self.updated or self.unavailable or self.broken or self.default_changed
        )

    def lines(self) -> list[str]:
        """A human-readable account, one line per fact."""
        head = self.revision[:12] if self.revision else "empty"
        lines = [f"Synced {self.store} at revision {head}."]
        lines += [f"  added: {name}" for name in self.added]
        lines += [f"  updated: {name}" for name in self.updated]
        lines += [f"  broken: {name}" for name in self.broken]
        lines += [f"  marked unavailable: {name}" for name in self.unavailable]
        if self.default_changed:
            lines.append(f"  default: {self.default}")
        lines += [f"  note: {note}" for note in self.notes]
        if not self.changed:
            lines.append(f"No changes ({len(self.unchanged)} models up to date).")
        return lines


@dataclass
class _Seen:
    """A model as read from the store during a sync."""

    name: str
    fields: dict[str, Any]
    metadata: ModelMetadata | None
    weights: Path
    problem: str = ""


def _read_models(store: ModelStore, snapshot: Snapshot) -> list[_Seen]:
    """Fetch metadata and weights of every model at `snapshot` (all I/O before the transaction)."""
    seen: list[_Seen] = []
    for name in model_names(snapshot):
        weights_name = name + WEIGHTS_SUFFIX
        info = snapshot.files[weights_name]
        problem = ""
        metadata: ModelMetadata | None = None
        try:
            metadata = read_metadata(store.fetch(name + METADATA_SUFFIX, snapshot.revision))
        except ModelFileError as exc:
            problem = f"{name}{METADATA_SUFFIX} is invalid: {exc}"
        weights = store.fetch(weights_name, snapshot.revision)
        sha256 = sha256_file(weights)
        if info.sha256 is not None and info.sha256 != sha256:
            # The store's own checksum (Hub LFS) is the reference: the download is corrupt.
            store.discard(weights_name, snapshot.revision)
            problem = problem or (
                f"checksum mismatch: the download of {weights_name} has SHA-256 {sha256}, "
                f"the store lists {info.sha256}"
            )
            sha256 = info.sha256
        fields = mirror_fields(
            store,
            name,
            metadata,
            sha256=sha256,
            size_bytes=info.size or weights.stat().st_size,
            has_image=name + IMAGE_SUFFIX in snapshot.files,
        )
        seen.append(_Seen(name, fields, metadata, weights, problem))
    return seen


def _validate_weights(store: ModelStore, model: _Seen, revision: str) -> str:
    """Why the model's files are unusable ("" when they load)."""
    if model.problem:
        return model.problem
    try:
        metadata_path = store.fetch(model.fields["metadata_filename"], revision)
        load_model(model.weights, metadata_path)
    except (ModelFileError, OSError) as exc:
        store.discard(model.fields["filename"], revision)
        return f"{model.fields['filename']} failed validation: {exc}"
    return ""


def _differs(entry: RegisteredModel, fields: dict[str, Any]) -> bool:
    return any(getattr(entry, key) != value for key, value in fields.items())


@dataclass
class _Plan:
    """What a sync does to one model of the store."""

    model: _Seen
    entry: RegisteredModel | None
    changed: bool = False
    problem: str = ""


def _plan(
    store: ModelStore, model: _Seen, entry: RegisteredModel | None, revision: str | None
) -> _Plan:
    """Decide (and validate the files of) a new, changed, reappeared or broken model."""
    if entry is None:
        return _Plan(model, None, problem=_validate_weights(store, model, revision or ""))
    if (
        entry.revision == revision
        and entry.sha256
        and entry.sha256 != model.fields["sha256"]
        and entry.store == model.fields["store"]
        and entry.repo == model.fields["repo"]
    ):
        # Same commit, other bytes: the download is corrupt, not a new version of the model.
        store.discard(model.fields["filename"], revision)
        model.fields["sha256"] = entry.sha256
        reason = (
            f"checksum mismatch: {entry.filename} at revision {revision[:12]} does not have the "
            f"recorded SHA-256 {entry.sha256}"
        )
        return _Plan(model, entry, changed=entry.status != Status.BROKEN, problem=reason)
    if _differs(entry, model.fields) or entry.status != Status.AVAILABLE:
        # Changed, reappeared, or broken before: (re)validate; a repaired model is available again.
        problem = _validate_weights(store, model, revision or "")
        status = Status.BROKEN if problem else Status.AVAILABLE
        changed = _differs(entry, model.fields) or entry.status != status
        return _Plan(model, entry, changed=changed, problem=problem)
    return _Plan(model, entry)


def sync_models(store: ModelStore | None = None) -> SyncReport:
    """Mirror the store's models into the registry (idempotent; never deletes a row).

    New models are added, changed ones updated (new or changed files are validated: a failing one
    is marked broken), models no longer in the store are marked unavailable (the default stays the
    default). When no default exists, `DEFAULT_MODEL` (else the most accurate model) becomes it.

    Raises:
        StoreError: The store cannot be read (unreachable, token rejected, repository missing);
            the registry is unchanged.
    """
    store = store or get_store()
    snapshot = store.snapshot()
    if snapshot is None and isinstance(store, HubStore):
        raise StoreError(f"repository {store.repo} does not exist on the Hub: push a model first")
    report = SyncReport(store=f"{store.kind} {store.repo}")
    seen = _read_models(store, snapshot) if snapshot is not None else []
    report.revision = snapshot.revision if snapshot is not None else None
    existing = {entry.name: entry for entry in RegisteredModel.objects.all()}

    # Files are validated before the transaction, so the database is never locked during I/O.
    plans = [_plan(store, model, existing.get(model.name), report.revision) for model in seen]

    now = timezone.now()
    with transaction.atomic():
        for plan in plans:
            model, entry = plan.model, plan.entry
            if entry is None:
                description = model.metadata.description if model.metadata else ""
                entry = RegisteredModel(name=model.name, description=description)
                report.added.append(model.name)
            elif plan.changed:
                report.updated.append(model.name)
            else:
                report.unchanged.append(model.name)
            if entry.pk is None or plan.changed:
                for key, value in model.fields.items():
                    setattr(entry, key, value)
                entry.revision = report.revision or entry.revision
                if plan.problem:
                    report.broken.append(model.name)
                entry.status = Status.BROKEN if plan.problem else Status.AVAILABLE
                entry.status_reason = plan.problem
            entry.synced_at = now
            entry.save()

        present = {model.name for model in seen}
        for name, entry in existing.items():
            if name in present or entry.status == Status.UNAVAILABLE:
                continue
            entry.status = Status.UNAVAILABLE
            entry.status_reason = (
                f"not in {store.kind} store {store.repo} at revision "
                f"{(report.revision or 'empty')[:12]}"
            )
            entry.save(update_fields=["status", "status_reason"])
            report.unavailable.append(name)

        chosen = choose_initial_default(report.notes)
        report.default_changed = chosen is not None
    default = RegisteredModel.objects.filter(is_default=True).first()
    report.default = default.name if default else None
    logger.info("sync of %s: %s", report.store, "; ".join(report.lines()))
    return report
