"""axes' lockout check, for every `authenticate` call that comes with a request."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LoginLimitsBackend(AxesStandaloneBackend):  # type: ignore[misc] # axes is untyped
    """Refuse a locked-out client before any password is hashed (first in the backends).

    `authenticate` without a request (Django's test client, code logging a user in) has no
    client to limit; axes' own backend raises for it, this one lets the other backends decide.
    The hashing bound applies to those calls all the same.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Raise `AxesBackendPermissionDenied` for a locked-out client; else let others decide."""
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)  # type: ignore[no-any-return]
