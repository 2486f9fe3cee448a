"""Django's default password hasher, run within the process's hashing slots.

`BoundedPBKDF2PasswordHasher` keeps Django's algorithm, name (`pbkdf2_sha256`) and iterations,
so every stored hash verifies as before and new ones are the same. Only where it runs changes
(`login_guard.hashing`): `verify` for a log-in, and `encode`, which Django also calls once for an
unknown user (to take as long as a wrong password) and to set a password.
"""

from __future__ import annotations

from django.contrib.auth.hashers import PBKDF2PasswordHasher

from login_guard.hashing import bounded


class BoundedPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2-SHA256 with bounded concurrency per process."""

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        """Hash `password` on a hashing thread (raises `HashingBusy` when none is free)."""
        parent = super().encode
        return bounded(lambda: parent(password, salt, iterations))

    def verify(self, password: str, encoded: str) -> bool:
        """Check `password` against `encoded` on a hashing thread (`HashingBusy` when none)."""
        parent = super().verify
        return bounded(lambda: parent(password, encoded))
