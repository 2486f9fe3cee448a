"""A full disk answers 503 with a clear message, never a 500 (issue 20).

A write that finds no room (the SQLite database's "database or disk is full", PostgreSQL's
`disk_full`, or an `OSError` ENOSPC/EDQUOT/EFBIG from any file write) is not a bug in Hippo: it is
an operator's problem that clears once space is freed. `StorageFullMiddleware` turns it into a 503
with `Retry-After`, a page for browsers (the admin's log-in, "Make default", "Sync from the Hub")
and the JSON envelope for the API. Nothing was saved: the write failed inside its transaction.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from api.error_pages import wants_html
from api.errors import error_body

logger = logging.getLogger(__name__)

FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
SQLITE_FULL = 13
POSTGRES_DISK_FULL = "53100"
RETRY_AFTER = 60
MESSAGE = (
    "The server's disk is full, so nothing could be saved. Try again once space has been freed."
)


def is_storage_full(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) is a write that found no room on the disk."""
    seen: set[int] = set()
    current: BaseException | None = exc
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


class StorageFullMiddleware:
    """Answer 503 (page or JSON envelope) when a view fails because the disk is full."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Pass the request on (the work is in `process_exception`)."""
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """The 503 for a full disk; None (Django's usual handling) for anything else."""
        if not is_storage_full(exception):
            return None
        logger.error(
            "%s %s: the disk is full (%s: %s)",
            request.method,
            request.path,
            type(exception).__name__,
            str(exception).splitlines()[0] if str(exception) else "",
        )
        response: HttpResponse
        if wants_html(request):
            response = HttpResponse(
                render_to_string("503_storage_full.html", {"message": MESSAGE}), status=503
            )
        else:
            response = JsonResponse(error_body("storage_full", MESSAGE), status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response
