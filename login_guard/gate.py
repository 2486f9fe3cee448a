"""Refusing a known-refused log-in early: the cheap answer a flood gets.

A refused log-in that runs the whole middleware chain and the view (sessions, CSRF, the log-in
form, axes' database queries) cost about as much as a prediction, so a client hammering the log-in
still took most of the cores though no password was hashed. `refused` answers from this
process's memory (`login_guard.memory`) — no database query, no form — and
`LoginGuardMiddleware`, near the top of the middleware chain, turns its answer into the same 429
the view would give:

- a POST to a log-in path from a locked-out address, or for a locked-out account from that
  address;
- a POST to a log-in path while every password-hashing slot of the process is taken.

Anything else, and every log-in this process has not seen refused yet, goes on down the chain.
"""

from __future__ import annotations

from typing import Final

from django.http import HttpRequest

from api.clients import client_address as address_from
from login_guard import hashing, memory
from login_guard.responses import BUSY_CODE, LOCKED_CODE

FORM_BYTES: Final = 16 * 1024
"""Largest log-in form read for its username (a larger one goes on to the view)."""


def _username(request: HttpRequest) -> str | None:
    """The form's username; None if the body is not a small urlencoded form."""
    length = request.META.get("CONTENT_LENGTH") or ""
    kind = request.META.get("CONTENT_TYPE", "")
    if not length.isdigit() or int(length) > FORM_BYTES or "urlencoded" not in kind:
        return None
    # Django parses the form once and keeps it: the view below reads the same request.POST.
    value = request.POST.get("username")
    return value.replace("\0", "")[:255] if value else None


def refused(request: HttpRequest) -> tuple[str, int] | None:
    """(error code, Retry-After seconds) for a log-in this process knows it refuses, else None."""
    path = request.path_info
    if request.method != "POST" or not memory.is_login_path(path):
        return None
    address = address_from(request.META)
    seconds = memory.remaining((address, path, None))
    if seconds is None and memory.has_account_lockouts(address, path):
        seconds = memory.remaining((address, path, _username(request)))
    if seconds is not None:
        return LOCKED_CODE, seconds
    if not hashing.hashing_slots().has_free():
        return BUSY_CODE, hashing.RETRY_AFTER_SECONDS
    return None
