"""gunicorn's own error answers (414, 431, 400 for a malformed request) in the API's JSON envelope.

gunicorn refuses a request line over `limit_request_line`, too many or too long header fields and
other malformed HTTP while reading the request, before any application code runs, and answers with
a small HTML page of its own (`gunicorn.util.write_error`). Clients of this API expect every error
as `{"error": {"code", "message", "fields"}}`, so `install()` (called by `gunicorn.conf.py` in the
master, before the workers fork) replaces that one writer. gunicorn offers no setting or hook for
its error body; the function replaced keeps its signature, and every caller in gunicorn goes through
the `util` module attribute, which is what is replaced.
"""

from __future__ import annotations

import socket
from typing import Final

import orjson

CODES: Final[dict[int, str]] = {
    400: "bad_request",
    403: "forbidden",
    414: "request_line_too_long",
    417: "expectation_failed",
    431: "headers_too_large",
    500: "server_error",
    501: "not_implemented",
}
"""The envelope's `code` for each status gunicorn answers by itself."""


def error_response(status: int, reason: str, message: str) -> bytes:
    """The complete HTTP/1.1 response (status line, headers, JSON body) for one gunicorn error."""
    body = orjson.dumps(
        {
            "error": {
                "code": CODES.get(status, "bad_request"),
                "message": f"{reason}: {message}" if message else reason,
                "fields": {},
            }
        }
    )
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """Drop-in for `gunicorn.util.write_error`: the same response, as the API's JSON envelope."""
    from gunicorn import util

    util.write_nonblock(sock, error_response(status_int, reason, mesg))


def install() -> None:
    """Make gunicorn answer its own errors in the JSON envelope (idempotent)."""
    from gunicorn import util

    util.write_error = write_json_error
