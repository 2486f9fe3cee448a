"""`sync_models`: mirror the store's models into the registry, in one transaction.

Every weights file is checked against the SHA-256 recorded when it was pushed (the store's own
record: the Hub's LFS pointer or the local store's manifest; else the model card's), then loaded
and run over the probe batch (`registry.integrity`). A model whose new files fail keeps its last
good record: the row's revision and checksum are not touched, so it is never "updated" to damaged
files; it stays served when its recorded revision still verifies, and is marked broken otherwise.
All store I/O runs inside one `hub_operation`, so a sync has one overall deadline.

What the store says is data, not trust: a listing entry the store could not describe, a name the
registry cannot hold (`registry.names`, the rule `push_model` uses) and a model card whose front
matter cannot be read are skipped with a reason in the report (a skipped model's row, if any, is
left as it was); metadata with text the database cannot store marks the model broken. Every line
of the report is escaped (`registry.safe_text.printable`), so a name holding a newline or a bidi
override cannot forge a line of the log or of the command's output.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from nn_core.model_files import ModelFileError, ModelMetadata, read_metadata, sha256_file
from registry.defaults import choose_initial_default
from registry.errors import InvalidModelName, RegistryError, StoreError
from registry.hub_http import hub_operation
from registry.integrity import (
    FilesRejected,
    check_files,
    fetch_verified,
    note_unverified_metadata,
)
from registry.layout import (
    IMAGE_SUFFIX,
    METADATA_SUFFIX,
    WEIGHTS_SUFFIX,
    metadata_reference,
    mirror_fields,
    model_names,
    recorded_checksums,
)
from registry.loading import load_network
from registry.models import RegisteredModel, Status
from registry.names import check_model_name
from registry.safe_text import printable
from registry.stores import HubStore, ModelStore, Snapshot, get_store

logger = logging.getLogger(__name__)


@dataclass
class SyncReport:
    """What `sync_models` changed.

    Attributes:
        store: The store that was mirrored ("hub owner/name" or "local /path").
        revision: The store's revision that was read (None: empty store).
        added, updated, unavailable, broken, unchanged: Model names per outcome.
        kept: Models whose files in the store failed verification while their last good revision
            still verifies: they keep it (name -> why).
        reasons: Why each model of `broken` is broken.
        default: The default model after the sync.
        default_changed: Whether this sync chose the default (none existed before).
        notes: Other remarks (e.g. an unknown `DEFAULT_MODEL`).
        uncached: Models whose files at their revision could not be fetched into the local cache
            during the sync (name -> why): serving them needs the store until a download succeeds.
        skipped: What the store lists but the sync could not read, with why (model name, or
            file name when the file belongs to no model). A skipped model's row is untouched.
        read: How many models of the store were read (verified or found broken).
    """

    store: str
    revision: str | None = None
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    default: str | None = None
    default_changed: bool = False
    notes: list[str] = field(default_factory=list)
    uncached: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    read: int = 0

    @property
    def nothing_read(self) -> bool:
        """Whether the store listed models but none of them could be read."""
        return bool(self.skipped) and self.read == 0

    @property
    def changed(self) -> bool:
        """Whether the registry changed."""
        return bool(
            self.added
            or self.updated
            or self.unavailable
            or self.broken
            or self.kept
            or self.default_changed
        )

    def lines(self) -> list[str]:
        """A human-readable account, one line per fact (each escaped: see the module docstring)."""
        return [printable(line) for line in self._lines()]

    def _lines(self) -> list[str]:
        head = self.revision[:12] if self.revision else "empty"
        lines = [f"Synced {self.store} at revision {head}."]
        lines += [f"  added: {name}" for name in self.added]
        lines += [f"  updated: {name}" for name in self.updated]
        lines += [f"  broken: {name} ({self.reasons.get(name, '?')})" for name in self.broken]
        lines += [f"  kept last good revision: {name} ({why})" for name, why in self.kept.items()]
        lines += [f"  marked unavailable: {name}" for name in self.unavailable]
        lines += [f"  not cached: {name} ({why})" for name, why in self.uncached.items()]
        lines += [f"  skipped: {name} ({why})" for name, why in self.skipped.items()]
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
    weights: Path | None
    """None when the download failed verification (then `problem` says so)."""
    problem: str = ""


def _mirrorable_names(snapshot: Snapshot, skipped: dict[str, str]) -> list[str]:
    """The models of `snapshot` whose names the registry can hold; the others go to `skipped`.

    Another tool (or a hostile Hub) may list a file the registry cannot name (too long, a
    newline, HTML, a bidi override): it is left out with the rule's reason, rather than failing
    the whole sync at the row insert. Listing entries the store could not read are skipped too,
    under their model's name when they are one of its files.
    """
    for path, why in snapshot.skipped.items():
        stem = next(
            (
                path.removesuffix(suffix)
                for suffix in (WEIGHTS_SUFFIX, METADATA_SUFFIX)
                if path.endswith(suffix) and "/" not in path
            ),
            None,
        )
        if stem is None:
            skipped[path] = f"the listing's entry cannot be read: {why}"
        else:
            skipped[stem] = f"the listing's entry for {path} cannot be read: {why}"
    names = []
    for name in model_names(snapshot):
        if name in skipped:
            continue
        try:
            names.append(check_model_name(name))
        except InvalidModelName as exc:
            skipped[name] = f"not a valid model name: {exc.message}"
    return names


def _unstorable(value: Any) -> bool:
    """Whether `value` holds text a database column cannot store (NUL, a lone surrogate)."""
    if isinstance(value, str):
        return "\x00" in value or (not value.isascii() and _has_surrogate(value))
    if isinstance(value, dict):
        return any(_unstorable(key) or _unstorable(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_unstorable(item) for item in value)
    return False


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _known_bytes(
    entry: RegisteredModel | None, store: ModelStore, metadata_path: Path
) -> str | None:
    """The row's recorded metadata SHA-256 when the unrecorded download has exactly those bytes.

    A new revision whose card records no checksum (a card damaged or rewritten by someone else)
    must not turn a verified model into an unverified one when its metadata did not change: bytes
    that hash to what the registry verified before are those verified bytes.
    """
    if entry is None or not entry.metadata_sha256:
        return None
    if (entry.store, entry.repo) != (store.kind, store.repo):
        return None
    return entry.metadata_sha256 if sha256_file(metadata_path) == entry.metadata_sha256 else None


def _read_models(
    store: ModelStore,
    snapshot: Snapshot,
    notes: list[str],
    skipped: dict[str, str],
    existing: dict[str, RegisteredModel],
) -> list[_Seen]:
    """Fetch metadata and weights of every model at `snapshot` (all I/O before the transaction).

    A model's `sha256` and `metadata_sha256` fields are the recorded references (store, else
    card), so the registry never takes the checksum of damaged bytes; each download is compared
    with them and, when it differs, removed from the cache (`fetch_verified`), so the next sync
    downloads it again. When neither records the metadata's checksum (a card damaged on the way,
    or an older push), a row registered at this very revision keeps the one it recorded: a bad
    download of the card must not turn a verified model into an unverified one.
    """
    carded = recorded_checksums(store, snapshot, notes)
    for entry in existing.values():
        if (
            entry.revision == snapshot.revision
            and entry.metadata_sha256
            and (entry.store, entry.repo) == (store.kind, store.repo)
        ):
            carded.setdefault(entry.metadata_filename, entry.metadata_sha256)
    seen: list[_Seen] = []
    unverified: list[str] = []
    for name in _mirrorable_names(snapshot, skipped):
        weights_name = name + WEIGHTS_SUFFIX
        info = snapshot.files[weights_name]
        problem = ""
        metadata: ModelMetadata | None = None
        metadata_sha256 = metadata_reference(snapshot, carded, name)
        try:
            metadata_path = fetch_verified(
                store, name + METADATA_SUFFIX, snapshot.revision, metadata_sha256
            )
            if metadata_sha256 is None:
                metadata_sha256 = _known_bytes(existing.get(name), store, metadata_path)
            if metadata_sha256 is None:
                unverified.append(name)
                note_unverified_metadata(name, snapshot.revision)
            metadata = read_metadata(metadata_path)
            if _unstorable(
                [metadata.description, metadata.created_at, metadata.metrics, metadata.training]
            ):
                # PostgreSQL refuses such text: the row insert would fail the whole sync.
                problem = (
                    f"{name}{METADATA_SUFFIX} is invalid: it holds a NUL character or a lone "
                    "surrogate, which the registry cannot store"
                )
                metadata = None
        except FilesRejected as rejected:
            problem = rejected.reason(name + METADATA_SUFFIX, snapshot.revision)
        except ModelFileError as exc:
            # The store's own bytes when they match a recorded checksum; else possibly a damaged
            # download, which must not stay in the cache.
            if metadata_sha256 is None:
                store.discard(name + METADATA_SUFFIX, snapshot.revision)
            problem = f"{name}{METADATA_SUFFIX} is invalid: {exc}"
        reference = info.sha256 or carded.get(weights_name)
        weights: Path | None = None
        try:
            weights = fetch_verified(store, weights_name, snapshot.revision, reference)
        except FilesRejected as rejected:  # removed from the cache: never fetched again here
            problem = problem or rejected.reason(weights_name, snapshot.revision)
        sha256 = reference or (sha256_file(weights) if weights is not None else "")
        fields = mirror_fields(
            store,
            name,
            metadata,
            sha256=sha256,
            size_bytes=info.size or (weights.stat().st_size if weights is not None else None),
            has_image=name + IMAGE_SUFFIX in snapshot.files,
            metadata_sha256=metadata_sha256 or "",
        )
        seen.append(_Seen(name, fields, metadata, weights, problem))
    if unverified:
        notes.append(
            "metadata not verified (pushed before its checksum was recorded; push again to "
            f"record one): {', '.join(unverified)}"
        )
    return seen


def _validate_weights(store: ModelStore, model: _Seen, revision: str) -> str:
    """Why the model's files are unusable ("" when they load and pass the probe)."""
    if model.problem or model.weights is None:
        return model.problem or f"{model.fields['filename']} could not be read"
    filename = model.fields["filename"]
    try:
        # The checksum was compared with the store's record when the files were read.
        check_files(model.weights, store.fetch(model.fields["metadata_filename"], revision))
    except FilesRejected as rejected:
        _discard_model(store, model, revision)
        return rejected.reason(filename, revision)
    except OSError as exc:
        _discard_model(store, model, revision)
        return f"{filename} failed validation: {exc}"
    return ""


def _discard_model(store: ModelStore, model: _Seen, revision: str) -> None:
    """Remove a model's cached files that failed validation (the next sync downloads them)."""
    store.discard(model.fields["filename"], revision)
    store.discard(model.fields["metadata_filename"], revision)


def _cache_pinned(store: ModelStore, plans: list[_Plan], head: str | None) -> dict[str, str]:
    """Fetch and verify the files of every model that stays at an older revision than `head`.

    Models unchanged since an earlier push stay pinned to the revision they were registered at,
    while `_read_models` fetched the head's files only: without this, a server whose cache was
    filled by a sync would still need the Hub for them. Runs inside the sync's operation, so it
    ends by the sync's deadline; a file that cannot be fetched is reported (name -> why) and the
    model stays as it is (a background download fetches it on first use). A file that fails its
    recorded checksum makes its revision broken, like any damaged file (`plan.problem`); the
    next sync moves the model to the head's copy when that one verifies.
    """
    missing: dict[str, str] = {}
    for plan in plans:
        entry = plan.entry
        if (
            entry is None
            or plan.problem
            or plan.changed
            or entry.revision == head
            or entry.status != Status.AVAILABLE
        ):
            continue
        if not entry.metadata_sha256:
            note_unverified_metadata(entry.name, entry.revision)
        try:
            fetch_verified(store, entry.filename, entry.revision, entry.sha256 or None)
            fetch_verified(
                store, entry.metadata_filename, entry.revision, entry.metadata_sha256 or None
            )
        except FilesRejected as rejected:
            plan.problem = rejected.reason(entry.filename, entry.revision)
            plan.keep = plan.changed = True
        except StoreError as exc:
            missing[entry.name] = exc.message
    return missing


def _still_good(entry: RegisteredModel) -> bool:
    """Whether `entry`'s recorded revision still verifies (checksum, load, probe)."""
    if entry.status != Status.AVAILABLE or not entry.sha256:
        return False
    try:
        load_network(entry, mark_broken=False, wait=True)
    except RegistryError:
        return False
    return True


def _differs(entry: RegisteredModel, fields: dict[str, Any]) -> bool:
    return any(getattr(entry, key) != value for key, value in fields.items())


@dataclass
class _Plan:
    """What a sync does to one model of the store.

    `keep` means: the store's files failed, the row keeps its last good record (fields and
    revision untouched) and only its status changes (broken, or still available when `kept`).
    """

    model: _Seen
    entry: RegisteredModel | None
    changed: bool = False
    problem: str = ""
    keep: bool = False
    kept: bool = False


def _plan(
    store: ModelStore, model: _Seen, entry: RegisteredModel | None, revision: str | None
) -> _Plan:
    """Decide (and validate the files of) a new, changed, reappeared or broken model."""
    if entry is None:
        return _Plan(model, None, problem=_validate_weights(store, model, revision or ""))
    problem = model.problem
    if (
        not problem
        and entry.revision == revision
        and entry.sha256
        and entry.sha256 != model.fields["sha256"]
        and entry.store == model.fields["store"]
        and entry.repo == model.fields["repo"]
    ):
        # Same commit, other bytes (a store that records no checksum): the download is corrupt.
        store.discard(model.fields["filename"], revision)
        problem = (
            f"checksum mismatch: {entry.filename} at revision {revision[:12]} does not have the "
            f"recorded SHA-256 {entry.sha256}"
        )
    if not problem and (_differs(entry, model.fields) or entry.status != Status.AVAILABLE):
        # Changed, reappeared, or broken before: (re)validate; a repaired model is available again.
        problem = _validate_weights(store, model, revision or "")
        if not problem:
            return _Plan(model, entry, changed=True)
    if not problem:
        return _Plan(model, entry)
    if _still_good(entry):
        return _Plan(model, entry, changed=True, problem=problem, keep=True, kept=True)
    changed = entry.status != Status.BROKEN or entry.status_reason != problem
    return _Plan(model, entry, changed=changed, problem=problem, keep=True)


def sync_models(store: ModelStore | None = None, *, deadline: float | None = None) -> SyncReport:
    """Mirror the store's models into the registry (idempotent; never deletes a row).

    New models are added, changed ones updated (new or changed files are verified and validated:
    a failing model keeps its last good record, see the module docstring), models no longer in
    the store are marked unavailable (the default stays the default). When no default exists,
    `DEFAULT_MODEL` (else the most accurate model) becomes it.

    Args:
        store: The store (default: the configured one).
        deadline: Seconds the whole sync may spend on the store (default `HIPPO_HUB_DEADLINE`).

    Raises:
        StoreError: The store cannot be read (unreachable, token rejected, repository missing,
            the deadline passed); the registry is unchanged.
    """
    store = store or get_store()
    with hub_operation(f"syncing {store.repo}", deadline):
        snapshot = store.snapshot()
        if snapshot is None and isinstance(store, HubStore):
            raise StoreError(
                f"repository {store.repo} does not exist on the Hub: push a model first"
            )
        notes: list[str] = []
        existing = {entry.name: entry for entry in RegisteredModel.objects.all()}
        skipped: dict[str, str] = {}
        seen = (
            _read_models(store, snapshot, notes, skipped, existing) if snapshot is not None else []
        )
        revision = snapshot.revision if snapshot is not None else None
        # Files are validated before the transaction, so the database is never locked during I/O.
        plans = [_plan(store, model, existing.get(model.name), revision) for model in seen]
        uncached = _cache_pinned(store, plans, revision)
    report = SyncReport(
        store=f"{store.kind} {store.repo}",
        revision=revision,
        notes=notes,
        uncached=uncached,
        skipped=skipped,
        read=len(seen),
    )
    _apply(store, report, plans, existing, seen)
    default = RegisteredModel.objects.filter(is_default=True).first()
    report.default = default.name if default else None
    logger.info("sync of %s: %s", report.store, "; ".join(report.lines()))
    for name in report.broken:
        logger.warning("sync of %s: model %s is broken", report.store, name)
    return report


def _apply(
    store: ModelStore,
    report: SyncReport,
    plans: list[_Plan],
    existing: dict[str, RegisteredModel],
    seen: list[_Seen],
) -> None:
    """Write the plans to the registry in one transaction."""
    now = timezone.now()
    with transaction.atomic():
        for plan in plans:
            model, entry = plan.model, plan.entry
            if plan.keep and entry is not None:
                _keep_last_good(report, plan, entry)
                entry.synced_at = now
                entry.save()
                continue
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
                    report.reasons[model.name] = plan.problem
                entry.status = Status.BROKEN if plan.problem else Status.AVAILABLE
                entry.status_reason = plan.problem
            entry.synced_at = now
            entry.save()

        # A skipped model is still in the store, only unreadable: its row stays as it was.
        present = {model.name for model in seen} | set(report.skipped)
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


def _keep_last_good(report: SyncReport, plan: _Plan, entry: RegisteredModel) -> None:
    """Record a failed new version without touching the row's revision and checksum."""
    at = (report.revision or "")[:12]
    if plan.kept:
        why = f"revision {at} failed: {plan.problem}; still serving revision {entry.revision[:12]}"
        report.kept[entry.name] = why
        entry.status_reason = why
        return
    if plan.changed:
        report.broken.append(entry.name)
        report.reasons[entry.name] = plan.problem
    else:
        report.unchanged.append(entry.name)
    entry.status = Status.BROKEN
    entry.status_reason = plan.problem
