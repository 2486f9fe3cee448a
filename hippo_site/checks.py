"""System checks for settings that are only wrong in production."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_secret_key(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Warn when DJANGO_SECRET_KEY is not set: a generated key logs everybody out on restart."""
    if settings.SECRET_KEY_FROM_ENV:
        return []
    return [
        Warning(
            "DJANGO_SECRET_KEY is not set; a random key is generated at every start.",
            hint="Set DJANGO_SECRET_KEY in the environment (see .env.example).",
            id="hippo.W001",
        )
    ]
