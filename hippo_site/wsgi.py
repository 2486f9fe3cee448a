"""WSGI entry point: `gunicorn -c hippo_site/gunicorn.conf.py` serves `hippo_site.wsgi:application`.

Every request goes to Django's WSGI handler. The one adaptation in front of it is for request
bodies sent with `Transfer-Encoding: chunked` (no `Content-Length`): Django and DRF size the body
by `CONTENT_LENGTH` and would read such a body as empty. When the server has de-chunked the body
and marks its end (`wsgi.input_terminated`, as gunicorn does), the body is read here, up to one
byte over `DATA_UPLOAD_MAX_MEMORY_SIZE` (so a larger one is still refused with a 413 by the
parsers), and handed to Django with its length.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.wsgi import get_wsgi_application

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hippo_site.settings")


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
        return self.app(environ, start_response)


application = ChunkedBodies(get_wsgi_application())
