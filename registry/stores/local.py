"""A model store in a local folder, with the Hub's layout and revision semantics (works offline).

Layout::

    <root>/refs/main              the current revision id
    <root>/revisions/<revision>/  every file of the repository as of that revision
    <root>/.lock                  serialises commits

A commit builds the new revision in a temporary folder (unchanged files are hard links to the
previous revision, so revisions cost little), renames it into place, then moves `refs/main` with
`os.replace`: readers see the old revision or the new one, never a partial one.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from registry.errors import StoreError
from registry.stores.base import FileContent, Snapshot, StoredFile


def _check_repo_path(filename: str) -> PurePosixPath:
    """Refuse paths that would escape the repository."""
    path = PurePosixPath(filename)
    if not filename or path.is_absolute() or ".." in path.parts or filename.startswith("."):
        raise StoreError(f"invalid file name in the store: {filename!r}")
    return path


class LocalStore:
    """A store in a local folder (the default when `HF_MODEL_REPO` is unset).

    Args:
        root: The store's folder; created on the first commit.
    """

    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.repo = str(self.root)

    def __repr__(self) -> str:
        return f"LocalStore({self.root})"

    @property
    def _ref(self) -> Path:
        return self.root / "refs" / "main"

    @property
    def _revisions(self) -> Path:
        return self.root / "revisions"

    def head(self) -> str | None:
        """The current revision, or None before the first commit."""
        try:
            return self._ref.read_text(encoding="ascii").strip() or None
        except FileNotFoundError:
            return None

    def _revision_dir(self, revision: str) -> Path:
        if not revision.isalnum():
            raise StoreError(f"invalid revision {revision!r}")
        folder = self._revisions / revision
        if not folder.is_dir():
            raise StoreError(f"revision {revision} does not exist in the local store {self.root}")
        return folder

    def snapshot(self, revision: str | None = None) -> Snapshot | None:
        """The files at `revision` (None: the head); None when nothing was ever committed."""
        revision = revision or self.head()
        if revision is None:
            return None
        folder = self._revision_dir(revision)
        files = {
            path.relative_to(folder).as_posix(): StoredFile(size=path.stat().st_size)
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        }
        return Snapshot(revision=revision, files=files)

    def fetch(self, filename: str, revision: str) -> Path:
        """The file itself, inside its revision folder (nothing is copied)."""
        path = self._revision_dir(revision) / _check_repo_path(filename)
        if not path.is_file():
            raise StoreError(f"{filename} does not exist at revision {revision} of {self.root}")
        return path

    def discard(self, filename: str, revision: str) -> None:
        """Nothing to do: the local store has no cache, its files are the originals."""

    def ensure_can_write(self) -> None:
        """A local folder needs no credentials."""

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def commit(
        self,
        files: Mapping[str, FileContent],
        message: str,
        *,
        parent: str | None = None,
        private: bool = False,
    ) -> str:
        """Create a revision with `files` added, replaced or deleted; move `refs/main` to it."""
        paths = {name: _check_repo_path(name) for name in files}
        with self._locked():
            head = self.head()
            if parent is not None and parent != head:
                raise StoreError(
                    f"the local store moved from {parent} to {head} meanwhile; nothing was written"
                )
            self._revisions.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self._revisions))
            try:
                if head is not None:
                    _link_tree(self._revision_dir(head), staging)
                digest = hashlib.sha1(usedforsecurity=False)
                digest.update(f"{head}\n{message}\n{time.time_ns()}\n{uuid.uuid4()}\n".encode())
                for name, content in sorted(files.items()):
                    target = staging / paths[name]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    # Unlink first: the old file is a hard link shared with the previous revision.
                    target.unlink(missing_ok=True)
                    if content is None:
                        digest.update(name.encode() + b"\0deleted\n")
                        continue
                    if isinstance(content, bytes):
                        target.write_bytes(content)
                    else:
                        shutil.copyfile(content, target)
                    digest.update(name.encode() + b"\0" + _sha256(target).encode() + b"\n")
                revision = digest.hexdigest()
                staging.replace(self._revisions / revision)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            self._ref.parent.mkdir(parents=True, exist_ok=True)
            ref_tmp = self._ref.with_name(f".main-{uuid.uuid4().hex}")
            ref_tmp.write_text(revision + "\n", encoding="ascii")
            ref_tmp.replace(self._ref)
        return revision


def _link_tree(source: Path, target: Path) -> None:
    """Mirror `source` into `target` with hard links (copies where links are not possible)."""
    for path in source.rglob("*"):
        if not path.is_file():
            continue
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, destination)
        except OSError:
            shutil.copy2(path, destination)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
