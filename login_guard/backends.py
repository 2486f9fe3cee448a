"""axes' lockout check, for every `authenticate` call that comes with a request."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import backends as auth_backends
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
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


class ModelBackend(auth_backends.ModelBackend):
    """Django's `ModelBackend`, answering a username with a NUL character as an unknown one.

    No account can have such a name (Django's username validator refuses it), and PostgreSQL
    refuses NUL in a query's text (a `DataError`, which would be a 500). The password is hashed
    once all the same, as Django does for an unknown username, so the answer takes as long.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        """`None` for a NUL username (after one hash); Django's answer otherwise."""
        user_model = get_user_model()
        name = username if username is not None else kwargs.get(user_model.USERNAME_FIELD)
        if isinstance(name, str) and "\x00" in name:
            if password is not None:
                user_model().set_password(password)
            return None
        return super().authenticate(request, username, password, **kwargs)
