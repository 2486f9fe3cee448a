"""The API documentation pages, served from the project's own static files (no CDN).

Both pages run under the site's Content-Security-Policy (settings.SECURE_CSP): Swagger UI's
start-up script carries the response's nonce, and ReDoc's bundle is served with the one address it
would fetch from a CDN (the Redocly logo in its "API docs by Redocly" link) pointing at a copy in
the static files instead.
"""

from __future__ import annotations

import functools
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_safe
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
"""The image ReDoc's bundle loads from Redocly's CDN on every page view."""
LOCAL_LOGO = "docs/redoc-logo-mini.svg"


PAGE_METHODS = ["get", "head"]
"""Methods of the docs pages. DRF would answer `OPTIONS` with its metadata rendered through the
page's template, which needs the context only `GET` provides (a 500 for `OPTIONS /docs`)."""


class SwaggerView(SpectacularSwaggerView):
    """Swagger UI whose inline start-up script carries the Content-Security-Policy nonce."""

    http_method_names = PAGE_METHODS

    template_name = "api/swagger_ui.html"


class RedocView(SpectacularRedocView):
    """ReDoc without drf-spectacular's Google Fonts link and with its bundle served locally."""

    template_name = "api/redoc.html"
    http_method_names = PAGE_METHODS

    @staticmethod
    def _redoc_standalone() -> str:
        return reverse("redoc-bundle")


@functools.cache
def redoc_bundle() -> bytes:
    """ReDoc's standalone bundle (drf-spectacular-sidecar) with the CDN logo made local.

    Raises:
        ImproperlyConfigured: The bundle is missing, or no longer holds the logo address (a new
            ReDoc version: check what it loads now).
    """
    found = finders.find(REDOC_BUNDLE)
    if not isinstance(found, str):
        raise ImproperlyConfigured(f"{REDOC_BUNDLE} not found (drf-spectacular-sidecar)")
    text = Path(found).read_text(encoding="utf-8")
    if REDOC_CDN_LOGO not in text:
        raise ImproperlyConfigured(f"{REDOC_BUNDLE} no longer references {REDOC_CDN_LOGO}")
    return text.replace(REDOC_CDN_LOGO, static(LOCAL_LOGO)).encode()


@require_safe
def redoc_bundle_view(request: HttpRequest) -> HttpResponse:
    """`GET /redoc/redoc.standalone.js`: the bundle of `redoc_bundle`, cacheable for a day."""
    response = HttpResponse(redoc_bundle(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response
