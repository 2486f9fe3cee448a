"""Django-level error pages: a page for browsers, the API's JSON envelope for everybody else.

DRF views render their own errors; these handlers cover what happens outside them (an unknown
path, a disallowed Host header, a body over `DATA_UPLOAD_MAX_MEMORY_SIZE` read by Django itself, an
unexpected crash). They are wired as `handler400`, `handler404` and `handler500` in
`hippo_site/urls.py`, and all ask the one question `wants_html`.
"""

from __future__ import annotations

import sys

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

from api.errors import (
    DATABASE_UNAVAILABLE,
    STORAGE_FULL,
    STORAGE_RETRY_AFTER,
    database_retry_after,
    error_body,
    is_database_outage,
    is_storage_full,
)

HTML_PREFIXES = ("/admin",)
"""Paths whose errors are always pages: the admin is used from a browser only."""

TOO_BIG = "The request body is larger than the server accepts."


def wants_html(request: HttpRequest) -> bool:
    """True for a browser: the admin, or an `Accept` header that names `text/html`.

    API clients send `application/json` (or `*/*`, as curl does) and keep getting JSON; only a
    client that explicitly asks for HTML gets a page.
    """
    if request.path.startswith(HTML_PREFIXES):
        return True
    return "text/html" in request.headers.get("Accept", "")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400 (e.g. a Host header not in ALLOWED_HOSTS), or 413 for a body over the limit."""
    if isinstance(exception, RequestDataTooBig):
        if wants_html(request):
            return HttpResponse(TOO_BIG, status=413, content_type="text/plain")
        return JsonResponse(error_body("payload_too_large", TOO_BIG), status=413)
    if wants_html(request):
        return defaults.bad_request(request, exception)  # type: ignore[arg-type]
    return JsonResponse(error_body("invalid_input", "Bad request."), status=400)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 for a path that matches no route: a page for browsers, the JSON envelope otherwise."""
    if wants_html(request):
        html = render_to_string("404.html", {"path": request.path}, request=request)
        return HttpResponse(html, status=404)
    return JsonResponse(
        error_body("not_found", f"No endpoint at {request.path}. See /docs for the API."),
        status=404,
    )


def unavailable_page(
    request: HttpRequest, code: str, title: str, message: str, retry_after: int
) -> HttpResponse:
    """503 with `Retry-After`: the page for browsers, the JSON envelope for API clients."""
    if wants_html(request):
        html = render_to_string("503.html", {"title": title, "message": message})
        response = HttpResponse(html, status=503)
    else:
        response = JsonResponse(error_body(code, message), status=503)
    response["Retry-After"] = str(retry_after)
    return response


def database_unavailable_page(request: HttpRequest) -> HttpResponse:
    """503 for a request that failed because the database is unreachable."""
    return unavailable_page(
        request,
        "database_unavailable",
        "The database is unavailable",
        DATABASE_UNAVAILABLE,
        database_retry_after(),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """500 (a bug: no input should get here); the details go to the log, never to the client.

    Django calls this while handling the exception (a view's, or a middleware's such as the
    session's save), so `sys.exception()` is that exception: when it says the database is
    unreachable (the admin during an outage) or that a write found the disk full, the answer is
    an honest 503 with `Retry-After` instead. The template gets no request context on purpose: a
    crash may come from the context itself.
    """
    exception = sys.exception()
    if is_storage_full(exception):
        # Not a bug, and nothing was saved (the write failed inside its transaction).
        return unavailable_page(
            request,
            "storage_full",
            "The server's disk is full",
            STORAGE_FULL,
            STORAGE_RETRY_AFTER,
        )
    if is_database_outage(exception):
        return database_unavailable_page(request)
    if wants_html(request):
        return HttpResponse(render_to_string("500.html"), status=500)
    return JsonResponse(error_body("internal_error", "Internal server error."), status=500)
