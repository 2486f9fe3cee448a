"""How many failed log-ins a client gets, and who the client is (django-axes, database handler).

Failures are counted in the database (shared by every worker and instance), for two keys, each
with its own limit:

- the account and the client address together (`HIPPO_LOGIN_FAILURES`, default 5): guessing one
  account's password from one address; another address, e.g. the real admin's, is not locked;
- the client address alone (`HIPPO_LOGIN_FAILURES_PER_ADDRESS`, default 20): one address trying
  many accounts.

A key is locked while its failures within `HIPPO_LOGIN_LOCKOUT_SECONDS` reach its limit;
log-ins refused during a lockout are not counted, so a lockout ends a fixed time after the failure
that caused it and `Retry-After` says when. Unknown accounts count like known ones: the answers
never tell whether an account exists.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any, Final

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from api.clients import client_address as address_from

LOCKOUT_PARAMETERS: Final[list[str | list[str]]] = [["username", "ip_address"], "ip_address"]
"""axes' keys, in the order of `failure_limits()`."""
USERNAME_LENGTH: Final = 255
"""axes stores usernames in a 255-character field."""


def lockout_parameters(request: Any, credentials: dict[str, Any] | None) -> list[str | list[str]]:
    """The keys failures are counted by (axes' `AXES_LOCKOUT_PARAMETERS` callable)."""
    return list(LOCKOUT_PARAMETERS)


def failure_limits() -> list[int]:
    """The failure limit of each key of `LOCKOUT_PARAMETERS`, in the same order."""
    return [settings.HIPPO_LOGIN_FAILURES, settings.HIPPO_LOGIN_FAILURES_PER_ADDRESS]


def cool_off(request: HttpRequest | None = None) -> timedelta:
    """How long a lockout lasts after the failure that caused it (axes' `AXES_COOLOFF_TIME`)."""
    return timedelta(seconds=settings.HIPPO_LOGIN_LOCKOUT_SECONDS)


def client_address(request: HttpRequest) -> str:
    """The client's address (axes' `AXES_CLIENT_IP_CALLABLE`; see `address_from`)."""
    return address_from(request.META)


def client_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The username tried, as axes stores it: without NUL characters, at most 255 characters.

    Django's log-in form refuses such usernames before authenticating; another caller of
    `authenticate` may not, and the database would refuse to store them (a 500).
    """
    field = str(getattr(settings, "AXES_USERNAME_FORM_FIELD", "username"))
    raw = credentials.get(field) if credentials else request.POST.get(field)
    if raw is None:
        return None
    return str(raw).replace("\0", "")[:USERNAME_LENGTH]


class LoginLimitsHandler(AxesDatabaseHandler):  # type: ignore[misc] # axes is untyped
    """axes' database handler with a failure limit per key (see the module docstring)."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """The failures of the key nearest its own limit, on the scale of `AXES_FAILURE_LIMIT`.

        axes compares one number with one limit (`AXES_FAILURE_LIMIT`, the first key's limit); a
        key that has reached its own limit maps to at least that number, any other below it.
        """
        scale = settings.AXES_FAILURE_LIMIT
        counts = [attempts_count(q) for q in self.get_user_attempts(request, credentials)]
        return max(
            (count * scale // limit for count, limit in zip(counts, failure_limits(), strict=True)),
            default=0,
        )


def attempts_count(attempts: Any) -> int:
    """Failures counted in an `AccessAttempt` queryset."""
    return sum(attempts.values_list("failures_since_start", flat=True))


def locked_for(
    request: HttpRequest, credentials: dict[str, Any] | None
) -> dict[tuple[str, str, str | None], int]:
    """Each locked key of this log-in and the whole seconds (at least 1) until its lockout ends.

    Keys are (address, path, username), username None for the address's own lockout. Failures
    are counted per stored attempt (one per username, address and user agent) while its last
    failure is younger than the cool-off; a key stays locked until enough of its newest attempts
    have aged out that the rest fall under its limit.
    """
    now = timezone.now()
    window = cool_off()
    username = client_username(request, credentials)
    address = getattr(request, "axes_ip_address", None) or client_address(request)
    user_agent = request.META.get("HTTP_USER_AGENT", "<unknown>")[:255]
    keys = get_client_parameters(username, address, user_agent, request, credentials)
    locked: dict[tuple[str, str, str | None], int] = {}
    for key, limit in zip(keys, failure_limits(), strict=True):
        recent = AccessAttempt.objects.filter(Q(**key), attempt_time__gte=now - window)
        total = 0
        for attempt_time, failures in recent.order_by("-attempt_time").values_list(
            "attempt_time", "failures_since_start"
        ):
            total += failures
            if total >= limit:
                seconds = max(1, math.ceil((attempt_time + window - now).total_seconds()))
                locked[(address, request.path_info, key.get("username"))] = seconds
                break
    return locked
