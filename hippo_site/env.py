"""Typed readers for settings that come from the environment (12-factor).

`.env` in the project root is loaded first when present (python-dotenv); real environment variables
always win over it. Every variable is documented in `.env.example`.
"""

from __future__ import annotations

import os
import sys

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    """Return the variable as a string, or `default` when unset."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    """Return the variable as a boolean (1/0, true/false, yes/no, on/off); unset or empty: default.

    Empty counts as unset because `.env.example` lists variables with empty values, meaning "the
    default" (e.g. DJANGO_SSL_REDIRECT, whose default follows DJANGO_HTTPS).
    """
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    """Return the variable as an integer."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Return a comma-separated variable as a list of non-empty, stripped items."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


START_REFUSED = (
    "DJANGO_SECRET_KEY is not set. Hippo refuses to start without it unless DJANGO_DEBUG=true: "
    "set DJANGO_SECRET_KEY to a long random string (the same on every worker and machine), e.g. "
    "the output of `python -c 'import secrets; print(secrets.token_urlsafe(50))'`. "
    "See docs/DEPLOYMENT.md."
)
"""The one message a start without a secret key ends with."""


def require_secret_key(debug: bool) -> str:
    """Return DJANGO_SECRET_KEY, or "" in debug mode; without it otherwise, stop the process.

    Raises:
        SystemExit: The key is missing and `debug` is false. It carries `START_REFUSED`, which
            Python prints on its own as the only line on standard error (no traceback: there is
            nothing to debug, only a variable to set).
    """
    key = env_str("DJANGO_SECRET_KEY").strip()
    if key or debug:
        return key
    sys.stderr.flush()
    raise SystemExit(START_REFUSED)


def proxy_ssl_header(raw: str) -> tuple[str, str] | None:
    """Parse DJANGO_SECURE_PROXY_SSL_HEADER: `X-Forwarded-Proto: https` -> Django's tuple form.

    The header name may be given as sent (`X-Forwarded-Proto`) or as Django's META key
    (`HTTP_X_FORWARDED_PROTO`); an empty value means no proxy header is trusted.

    Raises:
        ImproperlyConfigured: The value is not `header: value`.
    """
    if not raw.strip():
        return None
    header, separator, value = raw.partition(":")
    if not separator or not header.strip() or not value.strip():
        raise ImproperlyConfigured(
            f"DJANGO_SECURE_PROXY_SSL_HEADER must look like 'X-Forwarded-Proto: https', not {raw!r}"
        )
    name = header.strip().upper().replace("-", "_")
    if not name.startswith("HTTP_"):
        name = "HTTP_" + name
    return name, value.strip()
