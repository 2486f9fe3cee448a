"""Sending a corpus case over a real socket, and reading the answer with a deadline.

The request is written as it is (`Case.request`, any bytes); the answer's status line, headers and
body are read by hand (Content-Length, chunked, or until the server closes), so a malformed
request is as easy to send as any other and nothing on the client side repairs it. Every read has
the case's deadline: a server that does not answer within it is a hang.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field

from tests.fuzz.corpus import Case

DEADLINE = 10.0
"""Seconds a case may take, from connecting to the end of the answer (a hang beyond)."""


@dataclass
class Outcome:
    """What came back for one case.

    Attributes:
        status: The HTTP status, or None when no answer came (see `error`).
        headers: Header names (lower case) and values of the answer.
        body: The answer's body (de-chunked).
        error: Why there is no (complete) answer: `timeout` (a hang), `reset`, `closed`.
        seconds: From connecting to the end of the answer.
    """

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str | None = None
    seconds: float = 0.0


class _Reader:
    """Buffered reads from a socket, each bounded by one deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.buffer = b""
        self.closed = False

    def _fill(self) -> None:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        self.sock.settimeout(remaining)
        data = self.sock.recv(65536)
        if not data:
            self.closed = True
        self.buffer += data

    def until(self, marker: bytes) -> bytes | None:
        """The bytes up to and including `marker`, or None when the server closed first."""
        while marker not in self.buffer:
            if self.closed:
                return None
            self._fill()
        index = self.buffer.index(marker) + len(marker)
        data, self.buffer = self.buffer[:index], self.buffer[index:]
        return data

    def exactly(self, size: int) -> bytes:
        """`size` bytes (fewer if the server closes first)."""
        while len(self.buffer) < size and not self.closed:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def rest(self) -> bytes:
        """Everything until the server closes."""
        while not self.closed:
            self._fill()
        data, self.buffer = self.buffer, b""
        return data


def _read_head(reader: _Reader, outcome: Outcome) -> bool:
    """Read a status line and headers into `outcome`; False when the server closed first."""
    head = reader.until(b"\r\n\r\n")
    if head is None:
        outcome.error = "closed" if not reader.buffer else "truncated head"
        return False
    lines = head.decode("latin-1").split("\r\n")
    outcome.status = int(lines[0].split(" ", 2)[1])
    outcome.headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            outcome.headers[name.strip().lower()] = value.strip()
    return True


def _read_answer(reader: _Reader, outcome: Outcome, head_only: bool) -> None:
    if not _read_head(reader, outcome):
        return
    while outcome.status is not None and 100 <= outcome.status < 200 and outcome.status != 101:
        # `100 Continue` (the client sent `Expect: 100-continue`): the answer follows.
        if not _read_head(reader, outcome):
            return
    if head_only or outcome.status in (101, 204, 304):
        return
    if outcome.headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size_line = reader.until(b"\r\n")
            if size_line is None:
                outcome.error = "truncated body"
                break
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                reader.until(b"\r\n")
                break
            body += reader.exactly(size)
            reader.exactly(2)
        outcome.body = body
    elif "content-length" in outcome.headers:
        size = int(outcome.headers["content-length"])
        outcome.body = reader.exactly(size)
        if len(outcome.body) < size:
            outcome.error = "truncated body"
    else:
        outcome.body = reader.rest()


def send(case: Case, host: str, port: int, deadline: float = DEADLINE) -> Outcome:
    """Send `case` on a new connection and read the first answer, all within `deadline` seconds.

    A slow case (`hold`) sends its partial request and waits `hold` seconds; a raw case then
    half-closes the connection so the server sees the request end, and reads whatever it answers.
    """
    outcome = Outcome()
    start = time.monotonic()
    end = start + deadline
    try:
        with socket.create_connection((host, port), timeout=deadline) as sock:
            try:
                sock.sendall(case.request)
                if case.hold:
                    time.sleep(case.hold)
                if case.kind == "raw":
                    # The request ends here: a server waiting for more (a chunked body with no
                    # last chunk, a short body) sees the end instead of making the client wait.
                    sock.shutdown(socket.SHUT_WR)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered (and closed) before reading everything: read it
            head_only = case.request.startswith(b"HEAD ")
            _read_answer(_Reader(sock, end), outcome, head_only)
    except TimeoutError:
        outcome.error = "timeout"
    except ConnectionResetError:
        outcome.error = "reset"
    except (ValueError, IndexError) as exc:
        outcome.error = f"unreadable answer ({exc})"
    outcome.seconds = time.monotonic() - start
    return outcome
