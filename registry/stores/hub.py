"""A model store in one Hugging Face Hub model repository, through `huggingface_hub` only.

Reads go through `hf_hub_download` at a pinned revision (a commit sha), so they use and fill the
Hub cache; a push is one `create_commit`. Every call runs inside a `registry.hub_http` operation,
so it has connect/read timeouts, a total deadline and a bounded number of retries. Every error of
`huggingface_hub` is translated into a `StoreError` whose message is redacted (the token never
appears) and which is raised without the original exception attached, since HTTP errors may echo
request headers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

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
from registry.stores.base import FileContent, Snapshot, StoredFile
from registry.stores.local import NO_ROOM

T = TypeVar("T")

DEFAULT_ENDPOINT = "https://huggingface.co"


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
        if not info.sha:
            raise StoreError(f"the Hub gave no revision for {self.repo}")
        files = {
            sibling.rfilename: (
                StoredFile(size=sibling.lfs.size, sha256=sibling.lfs.sha256)
                if sibling.lfs is not None
                else StoredFile(size=sibling.size or 0)
            )
            for sibling in info.siblings or []
        }
        return Snapshot(revision=info.sha, files=files)

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
                detail = self._redact(str(exc).strip().splitlines()[0] if str(exc) else "")
                error = StoreError(f"the Hub answered HTTP {status} while {action}: {detail}")
        except (httpx2.TransportError, OfflineModeIsEnabled) as exc:
            error = self._unreachable(action, exc)
        except OSError as exc:
            if exc.errno not in NO_ROOM:
                raise
            # Writing the download cache failed (a full disk): say so, in one sentence.
            where = self.cache_dir or "the Hugging Face cache (HF_HOME)"
            error = StoreError(f"cannot write to {where} while {action}: {exc.strerror or exc}")
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


def _status(exc: HfHubHTTPError) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)
