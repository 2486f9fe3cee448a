"""WSGI entry point: `gunicorn -c hippo_site/gunicorn.conf.py` serves `hippo_site.wsgi:application`.

Every request goes to Django's WSGI handler. The one adaptation in front of it is for request
bodies sent with `Transfer-Encoding: chunked` (no `Content-Length`): Django and DRF size the body
by `CONTENT_LENGTH` and would read such a body as empty. When the server has de-chunked the body
and marks its end (`wsgi.input_terminated`, as gunicorn does), the body is read here, up to one
byte over `DATA_UPLOAD_MAX_MEMORY_SIZE` (so a larger one is still refused with a 413 by the
parsers), and handed to Django with its length.

A 413 closes the connection and says so (`Connection: close`): the body it refuses is left unread
(refusing before reading is the point), so the next request on the connection cannot be found. The
same holds for any error answer to a body larger than gunicorn drains after a response (64 KiB).
Without this, gunicorn answered `Connection: keep-alive`, then tried to drain the body, gave up
and closed, and the client's next request on that connection failed.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from django.core.wsgi import get_wsgi_application

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hippo_site.settings")

DRAINED_BYTES: Final = 64 * 1024
"""The most of an unread request body gunicorn reads past to keep a connection open."""


def leaves_body_unread(environ: WSGIEnvironment, status: str) -> bool:
    """Whether the answer `status` may leave more of the request body unread than is drained.

    A 413 refuses its body unread. Any other error answer to a large (or chunked) body may have
    been given before reading it; a successful one has read what it needed.
    """
    if status.startswith("413"):
        return True
    if status[:1] not in ("4", "5"):
        return False
    length = environ.get("CONTENT_LENGTH") or ""
    if length.isdigit():
        return int(length) > DRAINED_BYTES
    return "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()


def closing_when_unread(environ: WSGIEnvironment, start_response: StartResponse) -> StartResponse:
    """`start_response` that closes the connection, and says so, when the body stays unread.

    gunicorn drops a `Connection` header set by the application (it is hop-by-hop) and writes its
    own from its response object, which is what `start_response` is bound to: asking that object
    to close makes gunicorn answer `Connection: close` and close after the response. Other servers
    (runserver in development) keep their own handling.
    """

    def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if leaves_body_unread(environ, status):
            force_close = getattr(getattr(start_response, "__self__", None), "force_close", None)
            if callable(force_close):
                force_close()
        return start_response(status, headers, exc_info)

    return start


class ChunkedBodies:
    """Give chunked request bodies a `CONTENT_LENGTH`, so Django reads them.

    Args:
        app: Django's WSGI application.
    """

    def __init__(self, app: WSGIApplication) -> None:
        from django.conf import settings

        self.app = app
        self.limit: int | None = settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Read a terminated chunked body into memory, then call Django."""
        if (
            "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
            and not environ.get("CONTENT_LENGTH")
            and environ.get("wsgi.input_terminated")
        ):
            stream = environ["wsgi.input"]
            body = stream.read() if self.limit is None else stream.read(self.limit + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, closing_when_unread(environ, start_response))


application = ChunkedBodies(get_wsgi_application())
