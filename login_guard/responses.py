"""The 429 answers of a refused log-in: a page for browsers, the API's JSON envelope otherwise.

Both say when to try again (`Retry-After`, seconds) and nothing about the account: an unknown
username is counted and answered exactly like a known one. The same bytes are given by Django
(axes' lockout, `LoginGuardMiddleware`).
"""

from __future__ import annotations

import html
from typing import Any, Final

import orjson
from django.http import HttpRequest, HttpResponse

from login_guard import memory
from login_guard.limits import locked_for

LOCKED_CODE: Final = "too_many_login_attempts"
BUSY_CODE: Final = "login_busy"
TITLES: Final = {LOCKED_CODE: "Too many failed log-ins", BUSY_CODE: "Too many log-ins at once"}
PAGE: Final = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body><main><h1>{title}</h1><p>{message}</p></main></body>
</html>
"""


def _in(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if minutes and not rest:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    if minutes:
        return f"{minutes} min {rest} s"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def message(code: str, seconds: int) -> str:
    """The sentence a refused client reads."""
    if code == BUSY_CODE:
        return "The server is checking too many log-ins at once. Try again in a moment."
    return f"Too many failed log-in attempts. Try again in {_in(seconds)}."


def refusal_body(accept: str, code: str, seconds: int) -> tuple[bytes, str]:
    """The body and its content type: a page when `accept` names HTML, else the JSON envelope."""
    text = message(code, seconds)
    if "text/html" in accept:
        page = PAGE.format(title=html.escape(TITLES[code]), message=html.escape(text))
        return page.encode(), "text/html; charset=utf-8"
    envelope = {"error": {"code": code, "message": text, "fields": {}}}
    return orjson.dumps(envelope), "application/json"


def refusal(request: HttpRequest, code: str, seconds: int) -> HttpResponse:
    """The 429 with `Retry-After: seconds` for `request`."""
    body, content_type = refusal_body(request.META.get("HTTP_ACCEPT", ""), code, seconds)
    response = HttpResponse(body, status=429, content_type=content_type)
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The answer to a log-in from a locked-out client (axes' `AXES_LOCKOUT_CALLABLE`).

    The lockout is remembered by this process (`login_guard.memory`) until it ends, so the
    client's next attempts are refused at the top of the middleware chain.
    """
    locks = locked_for(request, credentials)
    for key, seconds in locks.items():
        memory.remember_lockout(key, seconds)
    return refusal(request, LOCKED_CODE, max(locks.values(), default=1))


def busy_response(request: HttpRequest, retry_after: int) -> HttpResponse:
    """The answer to a log-in refused because every password-hashing slot was taken."""
    memory.remember_path(request.path_info)
    return refusal(request, BUSY_CODE, retry_after)
