"""Error responses of the API: every error is `{"error": {"code", "message", "fields"}}`."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render DRF exceptions in Hippo's error envelope (placeholder until the API issue)."""
    return exception_handler(exc, context)
