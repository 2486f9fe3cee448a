"""The model store interface shared by the Hub and the local directory.

A store is one repository of files with git-like revisions: every `commit` creates a new revision
(an immutable snapshot of all files), and files are always read at an explicit revision, so a
registered model keeps loading the exact bytes it was registered with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class StoredFile:
    """A file of a snapshot.

    Attributes:
        size: Size in bytes.
        sha256: Hex SHA-256 of the content when the store knows it without downloading, else None.
    """

    size: int
    sha256: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """The files of a repository at one revision.

    Attributes:
        revision: The commit id (40 hex digits).
        files: Path in the repository -> file information.
        skipped: Entries of the store's listing that could not be read (path, or a description
            of the entry -> why); they are not in `files`.
    """

    revision: str
    files: Mapping[str, StoredFile] = field(default_factory=dict)
    skipped: Mapping[str, str] = field(default_factory=dict)


FileContent = Path | bytes | None
"""What a commit puts at a path: a local file, bytes, or None to delete the file."""


@runtime_checkable
class ModelStore(Protocol):
    """Where model files live (see `LocalStore` and `HubStore`)."""

    kind: str
    """ "hub" or "local" (the registry's `store` field)."""

    repo: str
    """The repo id on the Hub, or the local store's folder."""

    def snapshot(self, revision: str | None = None) -> Snapshot | None:
        """The files at `revision` (None: the current head); None when the repository is missing."""
        ...

    def fetch(self, filename: str, revision: str) -> Path:
        """A local path holding `filename` as of `revision` (downloaded and cached if needed)."""
        ...

    def cached(self, filename: str, revision: str) -> Path | None:
        """A local copy of `filename` at `revision` if one exists already (never downloads)."""
        ...

    def discard(self, filename: str, revision: str) -> None:
        """Forget any cached copy of `filename` at `revision` (after it failed verification)."""
        ...

    def ensure_repository(self, private: bool = False) -> None:
        """Create the repository with a first (empty) commit if it does not exist yet.

        So every push has a parent commit to build on, and two first pushes cannot overwrite
        each other's model card (a commit whose parent moved is refused).
        """
        ...

    def ensure_can_write(self) -> None:
        """Raise `TokenMissing` when a commit cannot even be attempted (no credentials)."""
        ...

    def commit(
        self,
        files: Mapping[str, FileContent],
        message: str,
        *,
        parent: str | None = None,
        private: bool = False,
    ) -> str:
        """Add, replace or delete `files` in one atomic commit; return the new revision.

        Args:
            files: Path in the repository -> content (None deletes the file if present).
            message: The commit message.
            parent: The revision the commit builds on; the commit is refused if the head moved.
            private: Create the repository private if it does not exist yet (Hub only).
        """
        ...
