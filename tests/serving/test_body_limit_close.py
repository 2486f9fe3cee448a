"""A body refused unread closes its connection, and the answer says so (`Connection: close`).

gunicorn (the project's config, one worker) over raw sockets: a response announcing keep-alive
promises that the next request on the connection will be read, which gunicorn cannot keep when it
has left more than 64 KiB of the previous body unread.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from tests.serving.helpers import ServerProcess, gunicorn, make_project

pytestmark = [pytest.mark.slow, pytest.mark.own_sqlite]
LIMIT = 200_000
TIMEOUT = 10


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    project = make_project(tmp_path_factory.mktemp("body-limit"))
    with gunicorn(project, workers=1, HIPPO_MAX_BODY_BYTES=str(LIMIT)) as served:
        yield served


def connect(server: ServerProcess) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=TIMEOUT)


def request(path: str, body: bytes, content_type: str = "application/json") -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length: status, headers (lower-case names), body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers["content-length"])
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed inside a response"
        body += chunk
    return int(lines[0].split()[1]), headers, body


def closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def pixels_body() -> bytes:
    return json.dumps({"pixels": [0.5] * 784}).encode()


def test_a_413_says_connection_close_and_closes(server: ServerProcess) -> None:
    with connect(server) as sock:
        sock.sendall(request("/predict", b"[" + b"0," * LIMIT + b"0]"))
        status, headers, body = read_response(sock)
        assert status == 413
        assert json.loads(body)["error"]["code"] == "payload_too_large"
        assert headers["connection"] == "close"
        assert closed_by_server(sock)


def test_an_error_for_a_large_unread_body_says_connection_close(server: ServerProcess) -> None:
    with connect(server) as sock:
        sock.sendall(request("/no-such-endpoint", b"x" * 100_000))
        status, headers, _ = read_response(sock)
        assert status == 404
        assert headers["connection"] == "close"
        assert closed_by_server(sock)


def test_requests_within_the_limit_keep_the_connection(server: ServerProcess) -> None:
    with connect(server) as sock:
        for _ in range(3):
            sock.sendall(request("/predict", pixels_body()))
            status, headers, body = read_response(sock)
            assert status == 200, body[:300]
            assert headers["connection"] == "keep-alive"
        # A small error answer keeps the connection too: its body was read (or drained).
        sock.sendall(request("/no-such-endpoint", b"x" * 1000))
        status, headers, _ = read_response(sock)
        assert status == 404
        assert headers["connection"] == "keep-alive"
        sock.sendall(request("/predict", pixels_body()))
        assert read_response(sock)[0] == 200
