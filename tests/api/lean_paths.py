"""The lean `POST /predict` paths (WSGI and ASGI) in front of Django, for tests that compare them.

Each `LeanPath` builds its lean app in front of a fresh Django application, calls it in-process
(`wsgi_client` / `asgi_client`) and compares two answers as strictly as its protocol allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from inference.asgi import PredictFastPathASGI
from inference.fast_path import PredictFastPath
from tests.api import asgi_client, wsgi_client
from tests.api.asgi_client import AsgiResponse
from tests.api.wsgi_client import WsgiResponse


class Answer(Protocol):
    """What both in-process clients return."""

    status: int
    body: bytes

    @property
    def headers(self) -> dict[str, str]: ...


class LeanApp(Protocol):
    """The part of both lean paths the tests read."""

    enabled: bool
    served: int


def _same_wsgi(fast: WsgiResponse, slow: WsgiResponse) -> bool:
    return (fast.status, fast.body, fast.headers) == (slow.status, slow.body, slow.headers)


def _same_asgi(fast: AsgiResponse, slow: AsgiResponse) -> bool:
    # Raw pairs: header names as sent and repeated headers count too.
    return (fast.status, fast.body, sorted(fast.raw_headers)) == (
        slow.status,
        slow.body,
        sorted(slow.raw_headers),
    )


@dataclass(frozen=True)
class LeanPath:
    """One lean path: how to build it in front of Django, call it, and compare answers."""

    wrap: Callable[[Any], Any]
    django_app: Callable[[], Any]
    call: Callable[..., Any]
    same: Callable[[Any, Any], bool]

    def app(self) -> Any:
        """A fresh lean path in front of a fresh Django application."""
        return self.wrap(self.django_app())

    def both(self, body: bytes, **kwargs: Any) -> tuple[Any, Any, Any]:
        """The lean path's answer, plain Django's answer, and the lean app (for `served`)."""
        app = self.app()
        fast = self.call(app, body, **kwargs)
        slow = self.call(self.django_app(), body, **kwargs)
        return fast, slow, app


PATHS = {
    "wsgi": LeanPath(PredictFastPath, wsgi_client.django_app, wsgi_client.call, _same_wsgi),
    "asgi": LeanPath(PredictFastPathASGI, asgi_client.django_app, asgi_client.call, _same_asgi),
}
