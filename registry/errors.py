"""Errors of the model registry and of the model stores.

Every error carries a one-line `message` meant for people (API responses, command output, the
admin). Messages never contain a token: store errors are built from redacted text only.
"""

from __future__ import annotations


class RegistryError(Exception):
    """Base class of every error the registry raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ModelNotFound(RegistryError):  # noqa: N818 (names fixed by the contracts)
    """No registered model has the requested name."""


class NoDefaultModel(RegistryError):  # noqa: N818 (names fixed by the contracts)
    """No model was named and no default model is configured."""


class ModelUnavailable(RegistryError):  # noqa: N818 (names fixed by the contracts)
    """The model is registered but cannot be served (vanished from the store, or disabled)."""


class ModelBroken(RegistryError):  # noqa: N818 (names fixed by the contracts)
    """The model's files failed their checksum or validation; the reason is in the message."""


class InvalidModel(RegistryError):  # noqa: N818 (names fixed by the contracts)
    """A local model file refused by `push_model` before anything was sent."""


class InvalidModelName(InvalidModel, ValueError):  # noqa: N818 (like InvalidModel)
    """A model name the registry cannot hold (see `registry.names`); nothing was written.

    Also a `ValueError`, so code validating its own input (a command's `--name`) can treat it
    like any other bad value.
    """


class StoreError(RegistryError):
    """The model store failed (missing repository or file, unexpected answer of the Hub)."""


class StoreUnreachable(StoreError):  # noqa: N818 (names fixed by the contracts)
    """The model store cannot be reached (network down, wrong endpoint, offline mode)."""


class CommitConflict(StoreError):  # noqa: N818 (reads as what happened)
    """The store's head moved since the commit's parent was read; nothing was written."""


class ModelPending(ModelUnavailable):
    """A Hub model's files are not in the local cache yet; a background download fetches them.

    Attributes:
        retry_after: Seconds after which asking again makes sense.
        downloading: True while a download runs; False when the last attempt failed.
    """

    def __init__(self, message: str, *, retry_after: int, downloading: bool) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.downloading = downloading


class TokenMissing(StoreError):  # noqa: N818 (names fixed by the contracts)
    """Writing to the Hub needs a token and none is configured."""


class TokenRejected(StoreError):  # noqa: N818 (names fixed by the contracts)
    """The Hub refused the token (invalid, expired, or without the needed permission)."""


REDACTED = "***"


def redact(text: str, *secrets: str | None) -> str:
    """Return `text` with every occurrence of each non-empty secret replaced by `***`.

    Args:
        text: Any text that may echo a secret (an HTTP error message, a header dump).
        *secrets: The values to hide; None and empty strings are ignored.
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text
