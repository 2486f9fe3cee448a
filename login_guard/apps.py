"""The log-in guard's app (its template; the rest is wired through settings)."""

from __future__ import annotations

from django.apps import AppConfig


class LoginGuardConfig(AppConfig):
    """Log-in rate limits and bounded password hashing."""

    name = "login_guard"
    verbose_name = "Log-in guard"
