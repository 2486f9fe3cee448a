"""Turns a log-in refused for want of a hashing slot into its 429 (instead of a 500)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from login_guard.hashing import HashingBusy
from login_guard.responses import busy_response


class LoginGuardMiddleware:
    """Answer `HashingBusy`, raised from inside `authenticate`, with a 429 and `Retry-After`.

    It is not a failed log-in: `authenticate` never sees a result, so axes counts nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Pass the request on."""
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """The 429 for `HashingBusy`; any other exception goes on to Django's handling."""
        if isinstance(exception, HashingBusy):
            return busy_response(request, exception.retry_after)
        return None
