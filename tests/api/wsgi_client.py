"""Calling a WSGI application in-process with a hand-built environ (for the fast-path tests)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.handlers.wsgi import WSGIHandler


@dataclass(frozen=True)
class WsgiResponse:
    """Status code, headers (lower-cased names) and body of one call."""

    status: int
    headers: dict[str, str]
    body: bytes


def call(
    app: Any,
    body: bytes,
    *,
    path: str = "/predict",
    method: str = "POST",
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> WsgiResponse:
    """Send one request to `app` and collect the answer."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    captured: dict[str, Any] = {}

    def start_response(
        status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
    ) -> None:
        captured["status"] = int(status.split()[0])
        captured["headers"] = {name.lower(): value for name, value in response_headers}

    result: Iterable[bytes] = app(environ, start_response)
    try:
        content = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return WsgiResponse(captured["status"], captured["headers"], content)


def django_app() -> WSGIHandler:
    """Plain Django, as `hippo_site.wsgi` serves it."""
    return WSGIHandler()
