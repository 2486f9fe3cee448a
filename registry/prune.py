"""`prune_store`: delete the local store's revisions nothing refers to.

The local store copies every file at every revision (so a damaged copy cannot spread), which
grows the folder with each push. A prune keeps, under the store's lock (no commit runs meanwhile):

- every revision something refers to (`referenced_revisions`: each registry row's revision; later
  sources, e.g. training runs, register theirs with `add_reference_source`),
- the newest `keep` revisions and the head,
- revisions younger than `min_age` seconds: a push commits first and registers its row just
  after, outside the lock, so a revision that young may be about to be referenced.

Everything else is deleted (renamed away first, so a reader sees a whole revision or none).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from registry.models import RegisteredModel, Store
from registry.stores import LocalStore

logger = logging.getLogger(__name__)

DEFAULT_KEEP = 3
DEFAULT_MIN_AGE = 60.0

ReferenceSource = Callable[[LocalStore], Iterable[str]]
"""Revisions of a local store that something still needs."""


def _same_folder(repo: str, store: LocalStore) -> bool:
    try:
        return Path(repo).resolve() == store.root.resolve()
    except OSError:
        return False


def registry_revisions(store: LocalStore) -> set[str]:
    """The revision of every registry row of `store` (whatever its status: it may come back)."""
    rows = RegisteredModel.objects.filter(store=Store.LOCAL).values_list("repo", "revision")
    return {revision for repo, revision in rows if _same_folder(repo, store)}


_sources: list[ReferenceSource] = [registry_revisions]


def add_reference_source(source: ReferenceSource) -> None:
    """Make `prune_store` keep the revisions `source(store)` returns too (e.g. training runs)."""
    if source not in _sources:
        _sources.append(source)


def referenced_revisions(store: LocalStore) -> set[str]:
    """Every revision of `store` that something refers to (see `add_reference_source`)."""
    referenced: set[str] = set()
    for source in _sources:
        referenced.update(source(store))
    return referenced


@dataclass
class PruneReport:
    """What a prune deleted (or, on a dry run, would delete).

    Attributes:
        store: The store's folder.
        deleted: Revisions deleted, newest first.
        kept: Revisions kept, newest first.
        referenced: How many of `kept` something refers to.
        freed_bytes: Bytes of the deleted revisions' files.
        dry_run: Nothing was deleted.
    """

    store: str
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    referenced: int = 0
    freed_bytes: int = 0
    dry_run: bool = False

    def lines(self) -> list[str]:
        """A human-readable account."""
        verb = "Would delete" if self.dry_run else "Deleted"
        return [
            f"{verb} {len(self.deleted)} revision{'s' if len(self.deleted) != 1 else ''} of "
            f"{self.store}, {'would free' if self.dry_run else 'freed'} "
            f"{self.freed_bytes / 1e6:.1f} MB ({self.freed_bytes} bytes).",
            f"Kept {len(self.kept)}: {self.referenced} referenced, the newest and the head.",
        ]


def prune_store(
    store: LocalStore,
    *,
    keep: int = DEFAULT_KEEP,
    min_age: float = DEFAULT_MIN_AGE,
    dry_run: bool = False,
) -> PruneReport:
    """Delete the revisions of `store` nothing refers to, but the newest `keep` (see the module).

    Args:
        store: The local store.
        keep: Newest revisions kept whatever refers to them (the head always is).
        min_age: Revisions younger than this many seconds are kept.
        dry_run: Only report what would be deleted.

    Raises:
        ValueError: `keep` or `min_age` is negative.
        OSError: A folder could not be deleted (what was deleted before stays deleted).
    """
    if keep < 0 or min_age < 0:
        raise ValueError("keep and min_age must not be negative")
    report = PruneReport(store=str(store.root), dry_run=dry_run)
    with store.locked():
        revisions = store.revisions()
        # Read under the lock: a row written after this points at a revision committed after
        # it too (the newest, kept), or at one younger than `min_age`.
        referenced = referenced_revisions(store)
        now = time.time()
        protected = referenced | {info.revision for info in revisions[:keep]}
        protected |= {info.revision for info in revisions if now - info.created < min_age}
        head = store.head()
        if head is not None:
            protected.add(head)
        for info in revisions:
            if info.revision in protected:
                report.kept.append(info.revision)
                continue
            if not dry_run:
                store.delete_revision(info.revision)
            report.deleted.append(info.revision)
            report.freed_bytes += info.size_bytes
    report.referenced = len(referenced & set(report.kept))
    logger.info("prune of %s: %s", store.root, " ".join(report.lines()))
    return report
