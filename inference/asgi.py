"""The ASGI application gunicorn's `asgi` worker serves: Django behind a lean `POST /predict` path.

`PredictFastPathASGI` is `inference.fast_path.PredictFastPath` for ASGI: the same eligibility
rules (a JSON body within the size limit, a valid host, no `Origin` header, no throttling, no HTTPS
redirect) and the same code (`predict_body`, `response_headers`), so the same bytes and headers
out; everything else, including every error, goes to Django's ASGI handler with the body already
read replayed to it.

The forward pass is short (~12 µs), so a prediction runs inline on the event loop. Django's ORM
refuses to run there (`SynchronousOnlyOperation`): when the model row has to be read from the
database (`inference.resolver`'s memo has nothing current, at most about once a second) or the
network has to be loaded, the prediction is run again on a worker thread through asgiref's
`sync_to_async`, with database connections looked after as Django's request signals would.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hippo_site.settings")
django_application = get_asgi_application()

# Django is set up before these: the fast path imports models.
from asgiref.sync import sync_to_async  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.exceptions import SynchronousOnlyOperation  # noqa: E402
from django.db import close_old_connections  # noqa: E402

from inference.fast_path import (  # noqa: E402
    PATH,
    KnownHosts,
    fast_path_enabled,
    predict_body,
    response_headers,
)

Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _predict_on_a_thread(body: bytes) -> bytes | None:
    """`predict_body` where the ORM may run, None on any failure (Django then answers)."""
    close_old_connections()  # what Django's request_started does
    try:
        return predict_body(body)
    except Exception:  # every failure is Django's to report, with the same body
        return None
    finally:
        close_old_connections()  # what Django's request_finished does


_predict_with_database = sync_to_async(_predict_on_a_thread, thread_sensitive=True)


class _Replay:
    """An ASGI `receive` that hands out the messages already read, then the server's."""

    def __init__(self, messages: list[Message], receive: Receive) -> None:
        self._messages = messages
        self._receive = receive

    async def __call__(self) -> Message:
        if self._messages:
            return self._messages.pop(0)
        return await self._receive()


class PredictFastPathASGI:
    """ASGI middleware answering plain `POST /predict` requests before Django does.

    Args:
        app: The Django ASGI application, which answers everything else.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.enabled = fast_path_enabled()
        self.headers = [
            (name.encode("ascii"), value.encode("latin-1")) for name, value in response_headers()
        ]
        self.body_limit: int | None = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        self.script_name = settings.FORCE_SCRIPT_NAME or ""
        self.host_ok = KnownHosts()
        self.served = 0
        """Requests answered by the lean path (tests read it)."""

    def _eligible(self, scope: Scope) -> int | None:
        """The body length when the request may take the lean path, else None."""
        if not (
            self.enabled
            and scope["path"] == PATH
            and scope["method"] == "POST"
            and not (self.script_name or scope.get("root_path"))
        ):
            return None
        host = content_type = declared = None
        for name, value in scope["headers"]:
            # One of each, as in the WSGI environ (Django joins repeated headers with commas).
            if name == b"host":
                if host is not None:
                    return None
                host = value
            elif name == b"content-type":
                if content_type is not None:
                    return None
                content_type = value
            elif name == b"content-length":
                if declared is not None:
                    return None
                declared = value
            elif name in (b"origin", b"transfer-encoding"):
                return None
        if not (
            content_type is not None
            and content_type.startswith(b"application/json")
            and declared is not None
            and declared.isdigit()
            and host is not None
            and self.host_ok(host.decode("latin-1"))
        ):
            return None
        length = int(declared)
        if self.body_limit is not None and length > self.body_limit:
            return None
        return length

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """Accept the server's startup and shutdown (Django's handler speaks HTTP only)."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer `POST /predict` here when possible, else hand the request to Django."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http" or self._eligible(scope) is None:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        chunks: list[bytes] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break  # a disconnect: Django sees it and answers nothing
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        answer = None
        if message["type"] == "http.request":
            body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            # Django's request_started/finished signals are not sent, as on the WSGI path.
            try:
                answer = predict_body(body)
            except SynchronousOnlyOperation:  # the database is needed: not on the event loop
                answer = await _predict_with_database(body)
            except Exception:  # every failure is Django's to report, with the same body
                answer = None
        if answer is None:
            await self.app(scope, _Replay(messages, receive), send)
            return
        self.served += 1
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*self.headers, (b"Content-Length", str(len(answer)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": answer})


application = PredictFastPathASGI(django_application)
