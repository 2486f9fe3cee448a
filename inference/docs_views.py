"""The API documentation pages, served from the project's own static files (no CDN)."""

from __future__ import annotations

from drf_spectacular.views import SpectacularRedocView


class RedocView(SpectacularRedocView):
    """ReDoc without drf-spectacular's Google Fonts link, so the page works offline."""

    template_name = "inference/redoc.html"
