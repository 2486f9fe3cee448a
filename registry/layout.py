"""The repository layout shared by push and sync, and how a registry row mirrors a model.

One repository holds many models: `<name>.safetensors` and `<name>.json` each (plus `<name>.png`,
the training curves, when present) at the top level, and a README.md model card listing them all.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from nn_core.model_files import ModelFileError, ModelMetadata, read_metadata
from registry.errors import StoreError
from registry.model_card import CardEntry, read_card_checksums
from registry.stores import ModelStore, Snapshot

logger = logging.getLogger(__name__)

WEIGHTS_SUFFIX = ".safetensors"
METADATA_SUFFIX = ".json"
IMAGE_SUFFIX = ".png"
CARD_FILENAME = "README.md"

MIRRORED_FIELDS = (
    "store",
    "repo",
    "filename",
    "metadata_filename",
    "image_filename",
    "sha256",
    "metadata_sha256",
    "size_bytes",
    "sizes",
    "layers",
    "input_shape",
    "activation",
    "output",
    "cost",
    "test_accuracy",
    "metrics",
    "training",
    "created_at",
)
"""Fields copied from the store (read-only in the admin)."""


def created_at_of(metadata: ModelMetadata) -> dt.datetime | None:
    """When the model was made, as an aware datetime (None when unknown)."""
    parsed = parse_datetime(metadata.created_at) if metadata.created_at else None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, dt.UTC)
    return parsed


def accuracy_of(metadata: ModelMetadata) -> float | None:
    """The test accuracy in percent, or None."""
    value = (metadata.metrics or {}).get("test_accuracy")
    return float(value) if isinstance(value, int | float) else None


def mirror_fields(
    store: ModelStore,
    name: str,
    metadata: ModelMetadata | None,
    *,
    sha256: str,
    size_bytes: int | None,
    has_image: bool,
    metadata_sha256: str = "",
) -> dict[str, Any]:
    """The mirrored fields of a model (zero values when its metadata cannot be read).

    `sha256` and `metadata_sha256` are the recorded references (store or card), never the
    checksums of a download; an empty `metadata_sha256` is a model pushed before it was recorded.
    """
    return {
        "store": store.kind,
        "repo": store.repo,
        "filename": name + WEIGHTS_SUFFIX,
        "metadata_filename": name + METADATA_SUFFIX,
        "image_filename": name + IMAGE_SUFFIX if has_image else "",
        "sha256": sha256,
        "metadata_sha256": metadata_sha256,
        "size_bytes": size_bytes,
        "sizes": list(metadata.sizes) if metadata else [],
        "layers": [dict(spec) for spec in metadata.layers] if metadata else [],
        "input_shape": list(metadata.input_shape) if metadata else [],
        "activation": metadata.activation if metadata else "",
        "output": metadata.output if metadata else "",
        "cost": metadata.cost if metadata else "",
        "test_accuracy": accuracy_of(metadata) if metadata else None,
        "metrics": dict(metadata.metrics or {}) if metadata else {},
        "training": dict(metadata.training or {}) if metadata else {},
        "created_at": created_at_of(metadata) if metadata else None,
    }


def model_names(snapshot: Snapshot | None) -> list[str]:
    """Names with both `<name>.safetensors` and `<name>.json` at the repository's top level."""
    if snapshot is None:
        return []
    return sorted(
        path.removesuffix(WEIGHTS_SUFFIX)
        for path in snapshot.files
        if path.endswith(WEIGHTS_SUFFIX)
        and "/" not in path
        and path.removesuffix(WEIGHTS_SUFFIX) + METADATA_SUFFIX in snapshot.files
    )


def card_entry(
    name: str, metadata: ModelMetadata | None, *, has_image: bool, size: int | None
) -> CardEntry:
    """What the model card says about a model (a placeholder when its metadata is unreadable)."""
    if metadata is None:
        return CardEntry(name=name, sizes=[], activation="?", output="?", has_image=has_image)
    return CardEntry(
        name=name,
        sizes=list(metadata.sizes),
        activation=metadata.activation,
        output=metadata.output,
        layers=[dict(spec) for spec in metadata.layers],
        input_shape=list(metadata.input_shape),
        test_accuracy=accuracy_of(metadata),
        description=metadata.description,
        has_image=has_image,
        size_bytes=size,
    )


def read_stored_metadata(store: ModelStore, name: str, revision: str) -> ModelMetadata | None:
    """The metadata of model `name` at `revision`, or None when it is invalid."""
    try:
        return read_metadata(store.fetch(name + METADATA_SUFFIX, revision))
    except ModelFileError:
        return None


def recorded_checksums(
    store: ModelStore, snapshot: Snapshot, notes: list[str] | None = None
) -> dict[str, str]:
    """The `{file: sha256}` the model card at `snapshot` recorded at push time ({} without one).

    A card that cannot be read (not UTF-8, no Hippo front matter, front matter that is not YAML: a
    damaged download, or someone else's text) only loses its checksums — the store's own record is
    still checked — and is removed from the cache, so the next read fetches it again instead of
    trusting the same bytes forever; `notes` (a sync's report) says so.
    """
    if CARD_FILENAME not in snapshot.files:
        return {}
    try:
        path = store.fetch(CARD_FILENAME, snapshot.revision)
        text = path.read_text(encoding="utf-8")
    except (StoreError, OSError, UnicodeDecodeError):
        text = ""
    checksums = read_card_checksums(text)
    if checksums is None:
        store.discard(CARD_FILENAME, snapshot.revision)
        if notes is not None:
            notes.append(
                f"{CARD_FILENAME}'s front matter cannot be read: the checksums it records are "
                "not used"
            )
        logger.warning(
            "%s at revision %s of %s records no checksums or cannot be read: not kept in the cache",
            CARD_FILENAME,
            snapshot.revision[:12],
            store.repo,
        )
        return {}
    return checksums


def metadata_reference(snapshot: Snapshot, carded: dict[str, str], name: str) -> str | None:
    """The recorded SHA-256 of `<name>.json`: the store's own record, else the card's."""
    filename = name + METADATA_SUFFIX
    info = snapshot.files.get(filename)
    return (info.sha256 if info is not None else None) or carded.get(filename)
