"""Error responses of the API: every error is `{"error": {"code", "message", "fields"}}`.

Views raise `ApiError` (or let DRF raise its own exceptions); `api_exception_handler`, wired in
`REST_FRAMEWORK["EXCEPTION_HANDLER"]`, renders them all in the one envelope. DRF's and Django's
exceptions, the MNIST data's (from `nn_core`) and the database's outages (503
`database_unavailable`) are mapped here. An app whose services raise
errors of their own registers a translator (`register_translator`, from its `AppConfig.ready`):
`inference` maps the model registry's errors that way, so this layer never imports an app and
views need no `try` blocks of their own.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from nn_core.mnist import MnistNotFoundError

logger = logging.getLogger(__name__)

FieldErrors = dict[str, list[str]]


class ApiError(exceptions.APIException):
    """An error with Hippo's code, message and per-field messages.

    Args:
        status_code: The HTTP status of the response.
        code: A stable machine-readable code (`invalid_input`, `model_not_found`, ...).
        message: A sentence for humans.
        fields: Messages per request field (empty when the error is not about one field).
        retry_after: Seconds to send as `Retry-After` (503 and 429 answers), or None.
    """

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        fields: FieldErrors | None = None,
        *,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.fields: FieldErrors = fields or {}
        self.retry_after = retry_after


def invalid_input(fields: FieldErrors, message: str | None = None) -> ApiError:
    """Return a 400 `invalid_input` error for the given field messages."""
    return ApiError(400, "invalid_input", message or summarize_fields(fields), fields)


def payload_too_large(message: str, field: str | None = None) -> ApiError:
    """Return a 413 `payload_too_large` error, optionally naming the field that is too big."""
    return ApiError(413, "payload_too_large", message, {field: [message]} if field else None)


def error_body(
    code: str, message: str, fields: Mapping[str, list[str]] | None = None
) -> dict[str, Any]:
    """Return the JSON body of an error response."""
    return {"error": {"code": code, "message": message, "fields": dict(fields or {})}}


def summarize_fields(fields: Mapping[str, list[str]]) -> str:
    """Turn field messages into one sentence, e.g. `pixels: expected 784 numbers, got 783`."""
    parts = [f"{name}: {'; '.join(messages)}" for name, messages in fields.items() if messages]
    return "Invalid input. " + " | ".join(parts) if parts else "Invalid input."


def _flatten(detail: Any) -> list[str]:
    """Flatten a DRF error detail (string, list or nested dict) into plain messages."""
    if isinstance(detail, Mapping):
        return [
            f"{key}: {message}" if key else message
            for key, value in detail.items()
            for message in _flatten(value)
        ]
    if isinstance(detail, list | tuple):
        return [message for item in detail for message in _flatten(item)]
    return [str(detail)]


def _validation_fields(detail: Any) -> FieldErrors:
    """Turn a `ValidationError.detail` into `{field: [messages]}`."""
    if isinstance(detail, Mapping):
        return {str(key): _flatten(value) for key, value in detail.items()}
    return {"non_field_errors": _flatten(detail)}


ErrorTranslator = Callable[[Exception], "ApiError | None"]
"""Turns an app's own exception into an `ApiError`, or returns None for the others."""

_translators: list[ErrorTranslator] = []


def register_translator(translator: ErrorTranslator) -> None:
    """Let `to_api_error` map an app's exceptions too (call it from `AppConfig.ready`).

    Registering the same function twice keeps one copy (`ready` may run again in tests).
    """
    if translator not in _translators:
        _translators.append(translator)


def _mnist_error(exc: Exception) -> ApiError | None:
    """The MNIST data is missing: a 503, whichever app asked for it."""
    if isinstance(exc, MnistNotFoundError):
        # The exception's text names the folders searched, which helps operators; it holds no
        # secrets (paths of the data directory only).
        return ApiError(503, "mnist_unavailable", f"MNIST is not available: {exc}")
    return None


def is_database_outage(exc: BaseException | None) -> bool:
    """True when `exc` says the database cannot be reached or used right now.

    `OperationalError` (connection refused or lost, server shutting down, SQLite's "database is
    locked" or "unable to open database file"), `InterfaceError` (a connection already closed) and
    a bare `DatabaseError` (what Django raises for driver errors it cannot classify). Its other
    subclasses (`IntegrityError`, `DataError`, `ProgrammingError`, ...) are answers of a database
    that works: they stay bugs or input errors, never an outage.
    """
    return isinstance(exc, OperationalError | InterfaceError) or type(exc) is DatabaseError


DATABASE_UNAVAILABLE = "The database is unavailable; try again shortly."


def database_retry_after() -> int:
    """Seconds a client should wait before retrying during an outage (`HIPPO_DB_RETRY_AFTER`)."""
    return max(1, int(getattr(settings, "HIPPO_DB_RETRY_AFTER", 5)))


def database_unavailable() -> ApiError:
    """Return a 503 `database_unavailable` error with `Retry-After`."""
    return ApiError(
        503, "database_unavailable", DATABASE_UNAVAILABLE, retry_after=database_retry_after()
    )


def _database_error(exc: Exception) -> ApiError | None:
    """The database is down or unreachable: a 503, whichever app's query failed.

    The driver's message is not echoed: it may name hosts, users or paths of the deployment.
    """
    return database_unavailable() if is_database_outage(exc) else None


FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
"""`OSError` numbers of a write that found no room (no space, quota, file size limit)."""
SQLITE_FULL = 13
POSTGRES_DISK_FULL = "53100"
STORAGE_FULL = (
    "The server's disk is full, so nothing could be saved. Try again once space has been freed."
)
STORAGE_RETRY_AFTER = 60


def is_storage_full(exc: BaseException | None) -> bool:
    """Whether `exc` (or what caused it) is a write that found no room on the disk.

    SQLite's "database or disk is full", PostgreSQL's `disk_full` (SQLSTATE 53100), or an
    `OSError` ENOSPC/EDQUOT/EFBIG from any file write. Not a bug in Hippo and not an outage of the
    database: an operator's problem that clears once space is freed. It is checked before
    `is_database_outage`, since SQLite reports it as an `OperationalError`.
    """
    seen: set[int] = set()
    current = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in FULL_ERRNOS:
            return True
        if getattr(current, "sqlite_errorcode", None) == SQLITE_FULL:
            return True
        if getattr(current, "sqlstate", None) == POSTGRES_DISK_FULL:
            return True
        if "database or disk is full" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def storage_full() -> ApiError:
    """Return a 503 `storage_full` error with `Retry-After`."""
    return ApiError(503, "storage_full", STORAGE_FULL, retry_after=STORAGE_RETRY_AFTER)


def _storage_error(exc: Exception) -> ApiError | None:
    """A write found the disk full: a 503 (nothing was saved), logged for the operator."""
    if not is_storage_full(exc):
        return None
    first_line = str(exc).splitlines()[0] if str(exc) else ""
    logger.error("the disk is full (%s: %s)", type(exc).__name__, first_line)
    return storage_full()


def _translated(exc: Exception) -> ApiError | None:
    """The first answer of the registered translators (None when none knows `exc`)."""
    for translator in (*_translators, _mnist_error, _storage_error, _database_error):
        error = translator(exc)
        if error is not None:
            return error
    return None


MULTIPART_PARSE_ERROR = "Multipart form parse error - "
"""How DRF's `MultiPartParser` starts the message of its `ParseError`."""


def _parse_error(detail: str) -> ApiError:
    """A body that cannot be parsed, named for what it is (multipart or JSON)."""
    if detail.startswith(MULTIPART_PARSE_ERROR):
        reason = detail.removeprefix(MULTIPART_PARSE_ERROR)
        return ApiError(
            400, "malformed_multipart", f"The multipart/form-data body cannot be parsed: {reason}"
        )
    return ApiError(400, "malformed_json", f"The request body is not valid JSON: {detail}")


def too_many_parts(exc: TooManyFieldsSent | TooManyFilesSent, query: str = "") -> ApiError:
    """More query parameters, form fields or files than Django reads: a 400 naming which.

    Django raises these while parsing the query string or a form, as a `SuspiciousOperation` its
    400 page answers without saying which part of the request was at fault. `query` is the
    request's query string: when it holds more parameters than the limit, it is the culprit.
    """
    if isinstance(exc, TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        return invalid_input({"body": [f"the form holds more than {limit} files"]})
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    if limit is not None and len(query.split("&")) > limit:
        return invalid_input({"query": [f"the query string holds more than {limit} parameters"]})
    return invalid_input({"body": [f"the form holds more than {limit} fields"]})


def to_api_error(exc: Exception) -> ApiError | None:
    """Translate any exception the API knows about into an `ApiError` (None for the others)."""
    mapped: ApiError | None
    if isinstance(exc, ApiError):
        mapped = exc
    elif isinstance(exc, exceptions.ValidationError):
        mapped = invalid_input(_validation_fields(exc.detail))
    elif isinstance(exc, exceptions.ParseError):
        mapped = _parse_error(str(exc.detail))
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        mapped = ApiError(415, "unsupported_media_type", str(exc.detail))
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        mapped = too_many_parts(exc)
    elif isinstance(exc, RequestDataTooBig):
        mapped = payload_too_large("The request body is larger than the server accepts.")
    elif isinstance(exc, exceptions.Throttled):
        mapped = ApiError(429, "throttled", str(exc.detail))
    elif isinstance(exc, exceptions.MethodNotAllowed):
        mapped = ApiError(405, "method_not_allowed", str(exc.detail))
    elif isinstance(exc, exceptions.NotFound | Http404):
        mapped = ApiError(404, "not_found", "Not found.")
    elif isinstance(exc, PermissionDenied):
        mapped = ApiError(403, "permission_denied", "Permission denied.")
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        mapped = ApiError(exc.status_code, str(code), "; ".join(_flatten(exc.detail)))
    else:
        mapped = _translated(exc)
    return mapped


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every known exception as `{"error": {"code", "message", "fields"}}`.

    Unknown exceptions return None so Django logs them and answers with its (JSON) 500 handler.
    """
    # Imported here: rest_framework.views reads the parser and renderer settings when imported,
    # and those classes (api.parsers) import this module.
    from rest_framework.views import set_rollback

    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        request = context.get("request")
        query = request.META.get("QUERY_STRING", "") if request is not None else ""
        error: ApiError | None = too_many_parts(exc, query)
    else:
        error = to_api_error(exc)
    if error is None:
        return None
    headers: dict[str, str] = {}
    wait = getattr(exc, "wait", None)  # set by Throttled; not in the type stubs
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        headers["Retry-After"] = str(int(wait))
    elif error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    set_rollback()
    return Response(
        error_body(error.code, error.message, error.fields),
        status=error.status_code,
        headers=headers,
    )


HTTP_STATUS_CODES: dict[str, int] = {
    "invalid_input": status.HTTP_400_BAD_REQUEST,
    "malformed_json": status.HTTP_400_BAD_REQUEST,
    "malformed_multipart": status.HTTP_400_BAD_REQUEST,
    "model_not_found": status.HTTP_404_NOT_FOUND,
    "no_default_model": status.HTTP_404_NOT_FOUND,
    "not_found": status.HTTP_404_NOT_FOUND,
    "method_not_allowed": status.HTTP_405_METHOD_NOT_ALLOWED,
    "not_acceptable": status.HTTP_406_NOT_ACCEPTABLE,
    "model_unavailable": status.HTTP_409_CONFLICT,
    "model_output_invalid": status.HTTP_409_CONFLICT,
    "payload_too_large": status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    "unsupported_media_type": status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    "throttled": status.HTTP_429_TOO_MANY_REQUESTS,
    "too_many_images": status.HTTP_429_TOO_MANY_REQUESTS,
    "mnist_unavailable": status.HTTP_503_SERVICE_UNAVAILABLE,
    "model_downloading": status.HTTP_503_SERVICE_UNAVAILABLE,
    "hub_unreachable": status.HTTP_503_SERVICE_UNAVAILABLE,
    "busy": status.HTTP_503_SERVICE_UNAVAILABLE,
    "database_unavailable": status.HTTP_503_SERVICE_UNAVAILABLE,
    "storage_full": status.HTTP_503_SERVICE_UNAVAILABLE,
}
"""Every error code of the API and its HTTP status (documented in the schema and docs/API.md)."""
