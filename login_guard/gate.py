"""Refusing a known-refused log-in before Django runs: the cheap answer a flood gets.

A refused log-in that goes through Django (sessions, CSRF, the log-in form, axes' database
queries) cost about as much as a prediction, so a client hammering the log-in still took most of
the cores though no password was hashed. `LoginGate` wraps the WSGI application and answers from
this process's memory (`login_guard.memory`), with the same 429 Django would give:

- a POST to a log-in path from a locked-out address, or for a locked-out account from that
  address (the username read from a small urlencoded form, which is then handed on intact);
- a POST to a log-in path while every password-hashing slot of the process is taken.

Anything else, and every log-in this process has not seen refused yet, goes to Django.
"""

from __future__ import annotations

from collections.abc import Iterable
from io import BytesIO
from typing import TYPE_CHECKING, Final
from urllib.parse import parse_qs

from login_guard import hashing, memory
from login_guard.limits import address_from
from login_guard.responses import BUSY_CODE, LOCKED_CODE, refusal_body

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

FORM_BYTES: Final = 16 * 1024
"""Largest log-in form read here for its username (a larger one goes on to Django)."""


def _username(environ: WSGIEnvironment) -> str | None:
    """The form's username (the body is put back for Django); None if not a small form."""
    length = environ.get("CONTENT_LENGTH") or ""
    kind = environ.get("CONTENT_TYPE", "")
    if not length.isdigit() or int(length) > FORM_BYTES or "urlencoded" not in kind:
        return None
    body = environ["wsgi.input"].read(int(length))
    environ["wsgi.input"] = BytesIO(body)
    values = parse_qs(body.decode("latin-1"), max_num_fields=100).get("username")
    return values[0].replace("\0", "")[:255] if values else None


def refused(environ: WSGIEnvironment) -> tuple[str, int] | None:
    """(error code, Retry-After seconds) for a log-in this process knows it refuses, else None."""
    path = environ.get("PATH_INFO", "")
    if environ.get("REQUEST_METHOD") != "POST" or not memory.is_login_path(path):
        return None
    address = address_from(environ)
    seconds = memory.remaining((address, path, None))
    if seconds is None and memory.has_account_lockouts(address, path):
        seconds = memory.remaining((address, path, _username(environ)))
    if seconds is not None:
        return LOCKED_CODE, seconds
    if not hashing.hashing_slots().has_free():
        return BUSY_CODE, hashing.RETRY_AFTER_SECONDS
    return None


class LoginGate:
    """WSGI middleware answering `refused` log-ins with their 429 before Django runs.

    Args:
        app: The WSGI application (Django's).
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer a known-refused log-in; pass everything else on."""
        refusal = refused(environ)
        if refusal is None:
            return self.app(environ, start_response)
        code, seconds = refusal
        body, content_type = refusal_body(environ.get("HTTP_ACCEPT", ""), code, seconds)
        start_response(
            "429 Too Many Requests",
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(body))),
                ("Retry-After", str(seconds)),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
        return [body]
