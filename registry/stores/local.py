"""A model store in a local folder, with the Hub's layout and revision semantics (works offline).

Layout::

    <root>/refs/main                           the current revision id
    <root>/revisions/<revision>/               every file of the repository as of that revision
    <root>/revisions/<revision>/.manifest.json size and SHA-256 of each file, recorded at commit
    <root>/.lock                               serialises commits (and prunes)

A commit builds the new revision in a temporary folder, renames it into place, then moves
`refs/main` with `os.replace`: readers see the old revision or the new one, never a partial one.

Revisions never share a file: unchanged files are copied (not hard-linked), and made read-only,
so bytes overwritten in one revision cannot change another. The manifest is the reference
checksum, like the Hub's LFS pointers: a new file's SHA-256 is computed from the bytes committed,
an unchanged file keeps the value recorded when it was first committed (it is never recomputed
from a copy that may have been damaged since), so a damaged file is detected in every later
revision. A commit first removes staging folders left by a killed commit (it holds the lock, so
no other commit can be using them).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import shutil
import stat
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from nn_core.model_files import sha256_file
from registry.errors import CommitConflict, StoreError
from registry.stores.base import FileContent, Snapshot, StoredFile

MANIFEST = ".manifest.json"
"""The file of a revision folder holding `{path: {"size", "sha256"}}` of its files."""
STAGING_PREFIX = ".tmp-"
READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})
"""Write errors a commit reports as a `StoreError` (the disk, not the files, is the problem)."""


@dataclass(frozen=True)
class RevisionInfo:
    """A revision folder of the local store.

    Attributes:
        revision: Its id.
        created: When it was committed (the folder's modification time, seconds since the epoch:
            the last file was written into it just before it was renamed into place).
        size_bytes: The bytes of its files.
    """

    revision: str
    created: float
    size_bytes: int


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
        recorded = _read_manifest(folder)
        files = {}
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if not path.is_file() or name == MANIFEST:
                continue
            checksum = recorded.get(name, {}).get("sha256")
            files[name] = StoredFile(
                size=path.stat().st_size, sha256=checksum if isinstance(checksum, str) else None
            )
        return Snapshot(revision=revision, files=files)

    def fetch(self, filename: str, revision: str) -> Path:
        """The file itself, inside its revision folder (nothing is copied)."""
        path = self._revision_dir(revision) / _check_repo_path(filename)
        if not path.is_file() or filename == MANIFEST:
            raise StoreError(f"{filename} does not exist at revision {revision} of {self.root}")
        return path

    def cached(self, filename: str, revision: str) -> Path | None:
        """The file itself (a local store is always "cached"), or None when it is missing."""
        try:
            return self.fetch(filename, revision)
        except StoreError:
            return None

    def discard(self, filename: str, revision: str) -> None:
        """Nothing to do: the local store has no cache, its files are the originals."""

    def ensure_repository(self, private: bool = False) -> None:
        """Commit an empty first revision when the store has none (like the Hub's create_repo)."""
        if self.head() is None:
            self.commit({}, "Create the model store")

    def ensure_can_write(self) -> None:
        """A local folder needs no credentials."""

    def revisions(self) -> list[RevisionInfo]:
        """Every committed revision, newest first (staging folders are not revisions)."""
        if not self._revisions.is_dir():
            return []
        found = []
        for folder in self._revisions.iterdir():
            if folder.name.startswith(".") or not folder.is_dir():
                continue
            size = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
            found.append(RevisionInfo(folder.name, folder.stat().st_mtime, size))
        return sorted(found, key=lambda info: (info.created, info.revision), reverse=True)

    def delete_revision(self, revision: str) -> None:
        """Delete a revision folder; call it holding `locked()`, never for the head.

        The folder is first renamed to a staging name (readers see the whole revision or none of
        it); a prune killed half-way leaves a staging folder, which the next commit removes.
        """
        if revision == self.head():
            raise StoreError(f"revision {revision} is the head of {self.root}: it is never deleted")
        folder = self._revision_dir(revision)
        doomed = self._revisions / f"{STAGING_PREFIX}deleted-{revision}"
        folder.replace(doomed)
        _remove_tree(doomed)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's lock: no commit (of any process) runs meanwhile."""
        with self._locked():
            yield

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
        try:
            with self._locked():
                return self._commit_locked(files, paths, message, parent)
        except OSError as exc:
            if exc.errno not in NO_ROOM:
                raise
            # A full disk (or a read-only one) is the operator's to fix: one clear sentence.
            # Nothing was written: the staging folder and the new revision are gone.
            raise StoreError(
                f"cannot write to the local store {self.root}: {exc.strerror or exc}; "
                "nothing was written"
            ) from None

    def _commit_locked(
        self,
        files: Mapping[str, FileContent],
        paths: Mapping[str, PurePosixPath],
        message: str,
        parent: str | None,
    ) -> str:
        """`commit`'s work, with the lock held."""
        self._remove_stale_staging()
        head = self.head()
        if parent is not None and parent != head:
            raise CommitConflict(
                f"the local store moved from {parent} to {head} meanwhile; nothing was written"
            )
        self._revisions.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self._revisions))
        try:
            manifest: dict[str, dict[str, object]] = {}
            if head is not None:
                manifest = _copy_revision(self._revision_dir(head), staging, skip=set(files))
            digest = hashlib.sha1(usedforsecurity=False)
            digest.update(f"{head}\n{message}\n{time.time_ns()}\n{uuid.uuid4()}\n".encode())
            for name, content in sorted(files.items()):
                target = staging / paths[name]
                target.parent.mkdir(parents=True, exist_ok=True)
                if content is None:
                    manifest.pop(name, None)
                    digest.update(name.encode() + b"\0deleted\n")
                    continue
                if isinstance(content, bytes):
                    target.write_bytes(content)
                else:
                    shutil.copyfile(content, target)
                checksum = sha256_file(target)
                manifest[name] = {"size": target.stat().st_size, "sha256": checksum}
                target.chmod(READ_ONLY)
                digest.update(name.encode() + b"\0" + checksum.encode() + b"\n")
            manifest_path = staging / MANIFEST
            manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
            manifest_path.chmod(READ_ONLY)
            revision = digest.hexdigest()
            staging.replace(self._revisions / revision)
        except BaseException:
            _remove_tree(staging)
            raise
        ref_tmp = self._ref.with_name(f".main-{uuid.uuid4().hex}")
        try:
            self._ref.parent.mkdir(parents=True, exist_ok=True)
            ref_tmp.write_text(revision + "\n", encoding="ascii")
            ref_tmp.replace(self._ref)
        except BaseException:
            # The head did not move: the new revision would be an orphan nobody refers to.
            ref_tmp.unlink(missing_ok=True)
            _remove_tree(self._revisions / revision)
            raise
        return revision

    def _remove_stale_staging(self) -> None:
        """Delete what a killed commit left behind (called with the lock held)."""
        if self._revisions.is_dir():
            for leftover in self._revisions.glob(STAGING_PREFIX + "*"):
                _remove_tree(leftover)
        if self._ref.parent.is_dir():
            for leftover in self._ref.parent.glob(".main-*"):
                leftover.unlink(missing_ok=True)


def _read_manifest(folder: Path) -> dict[str, dict[str, object]]:
    """The manifest of a revision folder ({} for revisions committed before manifests)."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _copy_revision(source: Path, target: Path, skip: set[str]) -> dict[str, dict[str, object]]:
    """Copy `source`'s files (but `skip`) into `target`, read-only; return their manifest.

    The recorded checksums are carried over as they are (see the module docstring); a file of an
    old revision without a manifest gets its current SHA-256.
    """
    recorded = _read_manifest(source)
    manifest: dict[str, dict[str, object]] = {}
    for path in source.rglob("*"):
        name = path.relative_to(source).as_posix()
        if not path.is_file() or name == MANIFEST or name in skip:
            continue
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
        destination.chmod(READ_ONLY)
        manifest[name] = recorded.get(name) or {
            "size": destination.stat().st_size,
            "sha256": sha256_file(destination),
        }
    return manifest


def _remove_tree(folder: Path) -> None:
    """Delete a staging folder (read-only files go too: unlinking needs the folder's permission)."""
    shutil.rmtree(folder, ignore_errors=True)
