"""A model store in one Hugging Face Hub model repository, through `huggingface_hub` only.

Reads go through `hf_hub_download` at a pinned revision (a commit sha), so they use and fill the
Hub cache; a push is one `create_commit`. Every call runs inside a `registry.hub_http` operation,
so it has connect/read timeouts, a total deadline and a bounded number of retries. Every error of
`huggingface_hub` is translated into a `StoreError` whose message is redacted (the token never
appears) and which is raised without the original exception attached, since HTTP errors may echo
request headers.

The Hub's answers are data, not trust: an answer huggingface_hub cannot parse (malformed JSON, a
field of the wrong type) is a `StoreError` saying so, and a listing entry of an unexpected shape
(a file name that is not a string, a size that is not a count, a checksum that is not 64 hex
digits) is left out of the snapshot and named in its `skipped`, so one odd entry neither breaks
the sync nor reaches the registry. Text quoted from the Hub in a message is escaped
(`registry.safe_text.printable`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeGuard, TypeVar

import httpx2
from huggingface_hub import (
    CommitOperationAdd,
    CommitOperationDelete,
    HfApi,
    hf_hub_download,
    try_to_load_from_cache,
)
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from registry.errors import (
    CommitConflict,
    StoreError,
    StoreUnreachable,
    TokenMissing,
    TokenRejected,
    redact,
)
from registry.hub_http import current_operation, describe_failure, hub_operation
from registry.safe_text import printable
from registry.stores.base import FileContent, Snapshot, StoredFile
from registry.stores.local import NO_ROOM

T = TypeVar("T")

DEFAULT_ENDPOINT = "https://huggingface.co"

COMMIT_SHA = re.compile(r"[0-9a-f]{40}")
"""A Hub revision as `model_info` gives it: a full commit sha."""

SHA256 = re.compile(r"[0-9a-f]{64}")

MALFORMED = (ValueError, TypeError, KeyError, AttributeError, IndexError)
"""What huggingface_hub raises on an answer it cannot parse (json.JSONDecodeError included)."""

_QUOTED = 120
"""Characters of Hub-supplied text quoted in a message."""


class HubStore:
    """A store in the Hub model repository `repo_id`.

    Args:
        repo_id: "owner/name" of the model repository.
        token: The access token (needed to write, and to read a private repository).
        endpoint: The Hub's URL (`HF_ENDPOINT`); None means huggingface_hub's default.
        cache_dir: The download cache; None means huggingface_hub's (`HF_HOME`/`HF_HUB_CACHE`).
    """

    kind = "hub"

    def __init__(
        self,
        repo_id: str,
        token: str | None = None,
        endpoint: str | None = None,
        cache_dir: Path | str | None = None,
    ) -> None:
        self.repo = repo_id
        self._token = token
        self.endpoint = (endpoint or "").rstrip("/") or None
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        # `False` stops huggingface_hub from looking for a token of its own (stored login).
        self._api = HfApi(endpoint=self.endpoint, token=token or False)

    def __repr__(self) -> str:  # never shows the token
        return f"HubStore({self.repo!r}, endpoint={self.endpoint or DEFAULT_ENDPOINT!r})"

    @property
    def has_token(self) -> bool:
        """Whether a token is configured."""
        return bool(self._token)

    def ensure_can_write(self) -> None:
        """Raise `TokenMissing` without a token (checked before anything is sent)."""
        if not self._token:
            raise TokenMissing(
                "pushing to the Hugging Face Hub needs a token with write access: "
                "set HF_TOKEN (or HUGGINGFACE_TOKEN)"
            )

    def snapshot(self, revision: str | None = None) -> Snapshot | None:
        """The repository's files via `model_info`; None when the repository does not exist."""
        try:
            info = self._call(
                "reading the repository",
                lambda: self._api.model_info(self.repo, revision=revision, files_metadata=True),
            )
        except _RepoMissing:
            return None
        if not isinstance(info.sha, str) or not COMMIT_SHA.fullmatch(info.sha):
            shown = f" ({printable(info.sha, _QUOTED)!s})" if info.sha else ""
            raise StoreError(f"the Hub gave no valid revision for {self.repo}{shown}")
        files: dict[str, StoredFile] = {}
        skipped: dict[str, str] = {}
        siblings = info.siblings if isinstance(info.siblings, list) else []
        for index, sibling in enumerate(siblings):
            name = getattr(sibling, "rfilename", None)
            if not isinstance(name, str) or not name:
                skipped[f"listing entry {index}"] = "its file name is not a non-empty string"
                continue
            entry = _stored_file(sibling)
            if isinstance(entry, str):
                skipped[name] = entry
            else:
                files[name] = entry
        return Snapshot(revision=info.sha, files=files, skipped=skipped)

    def fetch(self, filename: str, revision: str) -> Path:
        """Download `filename` at `revision` into the Hub cache (a cache hit makes no request)."""
        path = self._call(
            f"downloading {filename}",
            lambda: hf_hub_download(
                self.repo,
                filename,
                revision=revision,
                cache_dir=self.cache_dir,
                token=self._token or False,
                endpoint=self.endpoint,
            ),
        )
        return Path(path)

    def cached(self, filename: str, revision: str) -> Path | None:
        """The cached copy of `filename` at `revision`, or None (never makes a request)."""
        found = try_to_load_from_cache(
            self.repo, filename, cache_dir=self.cache_dir, revision=revision
        )
        return Path(found) if isinstance(found, str) and Path(found).is_file() else None

    def discard(self, filename: str, revision: str) -> None:
        """Delete the cached copy (snapshot link and blob) so the next read downloads again."""
        cached = try_to_load_from_cache(
            self.repo, filename, cache_dir=self.cache_dir, revision=revision
        )
        if not isinstance(cached, str):
            return
        pointer = Path(cached)
        blob = pointer.resolve()
        pointer.unlink(missing_ok=True)
        if blob != pointer:
            blob.unlink(missing_ok=True)

    def ensure_repository(self, private: bool = False) -> None:
        """`create_repo(exist_ok=True)`: the Hub gives a new repository its first commit."""
        self.ensure_can_write()
        self._call(
            "creating the repository",
            lambda: self._api.create_repo(
                self.repo, token=self._token, private=private, exist_ok=True
            ),
        )

    def commit(
        self,
        files: Mapping[str, FileContent],
        message: str,
        *,
        parent: str | None = None,
        private: bool = False,
    ) -> str:
        """One atomic `create_commit`; the repository is created first when `parent` is None."""
        self.ensure_can_write()
        if parent is None:
            self._call(
                "creating the repository",
                lambda: self._api.create_repo(
                    self.repo, token=self._token, private=private, exist_ok=True
                ),
            )
        present = self._present(parent, files)
        operations: list[CommitOperationAdd | CommitOperationDelete] = [
            CommitOperationAdd(
                path_in_repo=name,
                path_or_fileobj=content if isinstance(content, bytes) else str(content),
            )
            for name, content in files.items()
            if content is not None
        ]
        operations += [
            CommitOperationDelete(path_in_repo=name)
            for name, content in files.items()
            if content is None and name in present
        ]
        info = self._call(
            "committing",
            lambda: self._api.create_commit(
                self.repo,
                operations=operations,
                commit_message=message,
                token=self._token,
                parent_commit=parent,
            ),
        )
        return str(info.oid)

    def _present(self, parent: str | None, files: Mapping[str, FileContent]) -> set[str]:
        """The files at `parent` when some are to be deleted (deleting a missing one fails)."""
        if parent is None or all(content is not None for content in files.values()):
            return set()
        snapshot = self.snapshot(parent)
        return set(snapshot.files) if snapshot is not None else set()

    def _call(self, action: str, call: Callable[[], T]) -> T:
        """Run one huggingface_hub call, translating its errors (see the module docstring).

        The translated error is raised outside the `except` blocks, so it does not even keep the
        original exception as its context.
        """
        with hub_operation(action) as operation:
            stopped = operation.why_stopped()
            if stopped:
                raise StoreUnreachable(
                    f"cannot reach the Hugging Face Hub at {self._where}: {stopped} "
                    f"(before {action})"
                )
            return self._translated(action, call)

    def _translated(self, action: str, call: Callable[[], T]) -> T:
        error: StoreError
        try:
            return call()
        except LocalEntryNotFoundError:
            # huggingface_hub raises this when the Hub could not be asked and the cache has no
            # copy: the Hub was unreachable, no file is known to be missing.
            error = self._unreachable(action, None)
        except RepositoryNotFoundError:
            error = _RepoMissing(
                f"repository {self.repo} not found on {self._where} (or it is private and "
                "the token cannot read it)"
            )
        except RevisionNotFoundError:
            error = StoreError(f"{self.repo} has no such revision on {self._where} ({action})")
        except EntryNotFoundError:
            error = StoreError(f"a file is missing from {self.repo} on {self._where} ({action})")
        except HfHubHTTPError as exc:
            status = _status(exc)
            if status in (401, 403):
                error = self._token_rejected(exc, action)
            elif status == 412:
                error = CommitConflict(
                    f"{self.repo} changed on the Hub while {action}; nothing was written, try again"
                )
            else:
                first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                detail = printable(self._redact(first_line), _QUOTED)
                error = StoreError(f"the Hub answered HTTP {status} while {action}: {detail}")
        except (httpx2.TransportError, OfflineModeIsEnabled) as exc:
            error = self._unreachable(action, exc)
        except OSError as exc:
            if exc.errno not in NO_ROOM:
                raise
            # Writing the download cache failed (a full disk): say so, in one sentence.
            where = self.cache_dir or "the Hugging Face cache (HF_HOME)"
            error = StoreError(f"cannot write to {where} while {action}: {exc.strerror or exc}")
        except MALFORMED as exc:
            # Last: the Hub's own errors above may be ValueErrors too. What is left is an answer
            # that is not what the Hub's API returns (malformed JSON, a field of the wrong type).
            detail = printable(self._redact(str(exc)), _QUOTED)
            error = StoreError(
                f"the Hub at {self._where} gave an answer that cannot be read while {action} "
                f"({type(exc).__name__}: {detail})"
            )
        raise error from None

    def _unreachable(self, action: str, exc: BaseException | None) -> StoreUnreachable:
        """Say what actually happened: the operation's last failure, or the exception's kind."""
        operation = current_operation()
        if isinstance(exc, OfflineModeIsEnabled):
            what = "offline mode is enabled (HF_HUB_OFFLINE)"
        elif operation is not None and (operation.why_stopped() or operation.last_error):
            what = operation.why_stopped() or operation.last_error
        elif exc is not None:
            what = describe_failure(exc)
        else:
            what = "the request failed"
        return StoreUnreachable(
            f"cannot reach the Hugging Face Hub at {self._where} while {action}: {what}; "
            "check the network and HF_ENDPOINT"
        )

    def _token_rejected(self, exc: HfHubHTTPError, action: str) -> StoreError:
        status = _status(exc)
        if not self._token:
            return TokenMissing(
                f"the Hugging Face Hub refused access (HTTP {status}) while {action} and no token "
                "is configured: set HF_TOKEN (or HUGGINGFACE_TOKEN)"
            )
        reason = "is invalid or expired" if status == 401 else "lacks the needed permission"
        return TokenRejected(
            f"the Hugging Face Hub rejected the token (HTTP {status}) while {action}: the token "
            f"{reason}; check HF_TOKEN (or HUGGINGFACE_TOKEN)"
        )

    @property
    def _where(self) -> str:
        return self.endpoint or DEFAULT_ENDPOINT

    def _redact(self, text: str) -> str:
        return redact(text, self._token)


class _RepoMissing(StoreError):  # noqa: N818 (private signal)
    """The repository does not exist (or cannot be seen); `snapshot` turns it into None."""


def _count(value: object) -> TypeGuard[int]:
    """Whether `value` is a byte count (an int, not a bool, not negative)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _stored_file(sibling: Any) -> StoredFile | str:
    """The listing entry as a `StoredFile`, or why it cannot be one."""
    lfs = getattr(sibling, "lfs", None)
    if lfs is None:
        size = getattr(sibling, "size", None)
        if size is not None and not _count(size):
            return "its size is not a byte count"
        return StoredFile(size=size or 0)
    size, sha256 = getattr(lfs, "size", None), getattr(lfs, "sha256", None)
    if not _count(size):
        return "its LFS size is not a byte count"
    if not isinstance(sha256, str) or not SHA256.fullmatch(sha256):
        return "its LFS checksum is not a SHA-256 (64 hexadecimal digits)"
    return StoredFile(size=size, sha256=sha256)


def _status(exc: HfHubHTTPError) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)
