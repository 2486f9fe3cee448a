"""Calling an ASGI application in-process with a hand-built scope (for the ASGI fast-path tests).

The call runs through `async_to_sync` from the test's thread, so Django's thread-sensitive work
(views, ORM) runs on that thread and sees the test's database transaction.
"""

from __future__ import annotations

import asyncio
from typing import Any

from asgiref.sync import async_to_sync
from django.core.handlers.asgi import ASGIHandler

TIMEOUT = 10


class AsgiResponse:
    """Status code, headers (name and value pairs, as sent) and body of one call."""

    def __init__(self, status: int, raw_headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status = status
        self.raw_headers = raw_headers
        self.body = body

    @property
    def headers(self) -> dict[str, str]:
        """The headers with lower-cased names (each name appears once in these answers)."""
        return {name.decode().lower(): value.decode("latin-1") for name, value in self.raw_headers}


async def _call(app: Any, scope: dict[str, Any], chunks: list[bytes]) -> AsgiResponse:
    # Not asgiref's ApplicationCommunicator: it runs the application in an empty context, so
    # Django's thread-sensitive work would leave the test's thread (and database transaction).
    incoming = [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]
    answered = asyncio.Event()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop(0)
        await answered.wait()  # the client leaves once it has the whole answer
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            answered.set()

    await asyncio.wait_for(app(scope, receive, send), TIMEOUT)
    start, *rest = sent
    assert start["type"] == "http.response.start", start
    assert all(message["type"] == "http.response.body" for message in rest), rest
    body = b"".join(message.get("body", b"") for message in rest)
    return AsgiResponse(start["status"], [tuple(h) for h in start["headers"]], body)


def call(
    app: Any,
    body: bytes,
    *,
    path: str = "/predict",
    method: str = "POST",
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    chunk_size: int | None = None,
) -> AsgiResponse:
    """Send one request to `app` (its body in `chunk_size` pieces) and collect the answer."""
    fields = {
        "host": "127.0.0.1:8000",
        "content-type": content_type,
        "content-length": str(len(body)),
    }
    fields.update({name.lower(): value for name, value in (headers or {}).items()})
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(name.encode(), value.encode("latin-1")) for name, value in fields.items()],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }
    size = chunk_size or max(len(body), 1)
    chunks = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    response: AsgiResponse = async_to_sync(_call)(app, scope, chunks)
    return response


def django_app() -> ASGIHandler:
    """Plain Django's ASGI handler."""
    return ASGIHandler()
