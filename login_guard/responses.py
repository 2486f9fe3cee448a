"""The 429 answers of a refused log-in: a page for browsers, the API's JSON envelope otherwise.

Both say when to try again (`Retry-After`, seconds) and nothing about the account: an unknown
username is counted and answered exactly like a known one.
"""

from __future__ import annotations

from typing import Any, Final

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

from login_guard.hashing import HashingBusy
from login_guard.limits import retry_after

LOCKED_CODE: Final = "too_many_login_attempts"
BUSY_CODE: Final = "login_busy"


def refusal(
    request: HttpRequest, code: str, title: str, message: str, seconds: int
) -> HttpResponse:
    """A 429 with `Retry-After: seconds`: HTML for a client that accepts it, else JSON."""
    response: HttpResponse
    if "text/html" in request.META.get("HTTP_ACCEPT", ""):
        page = render_to_string(
            "login_guard/too_many_attempts.html",
            {"title": title, "message": message},
            request=request,
        )
        response = HttpResponse(page, status=429)
    else:
        envelope = {"error": {"code": code, "message": message, "fields": {}}}
        response = JsonResponse(envelope, status=429)
    response["Retry-After"] = str(seconds)
    add_never_cache_headers(response)
    return response


def _in(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if minutes and not rest:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    if minutes:
        return f"{minutes} min {rest} s"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The answer to a log-in from a locked-out client (axes' `AXES_LOCKOUT_CALLABLE`)."""
    seconds = retry_after(request, credentials)
    return refusal(
        request,
        LOCKED_CODE,
        "Too many failed log-ins",
        f"Too many failed log-in attempts. Try again in {_in(seconds)}.",
        seconds,
    )


def busy_response(request: HttpRequest, busy: HashingBusy) -> HttpResponse:
    """The answer to a log-in refused because every password-hashing slot was taken."""
    return refusal(
        request,
        BUSY_CODE,
        "Too many log-ins at once",
        "The server is checking too many log-ins at once. Try again in a moment.",
        busy.retry_after,
    )
