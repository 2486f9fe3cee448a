"""The log-in limits' place in the middleware chain: early refusals, and busy hashing slots."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from login_guard.gate import refused
from login_guard.hashing import HashingBusy
from login_guard.responses import busy_response, refusal


class LoginGuardMiddleware:
    """Answer known-refused log-ins at once, and `HashingBusy` with a 429 and `Retry-After`.

    It stands near the top of `MIDDLEWARE`, so a flood of refused log-ins costs one dictionary
    look-up per request after Django's request object, not the session, CSRF and form work below.
    `HashingBusy`, raised from inside `authenticate`, is not a failed log-in: `authenticate`
    never sees a result, so axes counts nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """The 429 for a log-in this process already refuses; every other request goes on."""
        answer = refused(request)
        if answer is not None:
            code, seconds = answer
            return refusal(request, code, seconds)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """The 429 for `HashingBusy`; any other exception goes on to Django's handling."""
        if isinstance(exception, HashingBusy):
            return busy_response(request, exception.retry_after)
        return None
