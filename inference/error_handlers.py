"""Django-level error pages: JSON for the API, Django's HTML for the admin.

DRF views render their own errors; these handlers cover what happens outside them (an unknown
path, a body over `DATA_UPLOAD_MAX_MEMORY_SIZE` read by Django itself, an unexpected crash).
They are wired as `handler400/404/500` in `hippo_site/urls.py`.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from inference.errors import error_body

HTML_PREFIXES = ("/admin",)
"""Paths whose errors stay HTML pages (the demo page at `/` always exists, so never 404s)."""


def _wants_html(request: HttpRequest) -> bool:
    return request.path.startswith(HTML_PREFIXES)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400, or 413 for a body over the limit."""
    if isinstance(exception, RequestDataTooBig):
        message = "The request body is larger than the server accepts."
        if _wants_html(request):
            return HttpResponse(message, status=413, content_type="text/plain")
        return JsonResponse(error_body("payload_too_large", message), status=413)
    if _wants_html(request):
        return defaults.bad_request(request, exception)  # type: ignore[arg-type]
    return JsonResponse(error_body("invalid_input", "Bad request."), status=400)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 for a path that matches no route."""
    if _wants_html(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse(
        error_body("not_found", f"No endpoint at {request.path}. See /docs for the API."),
        status=404,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """500 (a bug: no input should get here); the details go to the log, never to the client."""
    if _wants_html(request):
        return defaults.server_error(request)
    return JsonResponse(error_body("internal_error", "Internal server error."), status=500)
