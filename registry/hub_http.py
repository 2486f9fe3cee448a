"""Bounds on every HTTP request `huggingface_hub` makes: timeouts, a deadline and a retry budget.

huggingface_hub shares one `httpx2.Client` (built by the factory given to `set_client_factory`)
whose default has no timeout at all, and its backoff helper retries timeouts, network errors and
5xx answers five times with sleeps of up to 8 s. A Hub that accepts connections but never answers
therefore held a request for minutes. Here the client's transport bounds every request it sends:

- connect and read timeouts (`HIPPO_HUB_CONNECT_TIMEOUT`, `HIPPO_HUB_TIMEOUT`), lowered to what is
  left of the current operation's deadline;
- an operation (`hub_operation`: one sync, one push, one background download) has a total deadline
  (`HIPPO_HUB_DEADLINE`) and a retry budget (`HIPPO_HUB_RETRIES` failed attempts): once either is
  spent, the next request fails at once with `HubGaveUp`, which huggingface_hub does not retry
  (it is neither a timeout nor a network error), so its backoff loop ends too;
- the deadline holds while an answer streams: httpcore2 fixes a request's read timeout when the
  request starts and applies it to each read of the body, so a Hub sending one byte every few
  seconds never timed out. Every socket read and write goes through `_DeadlineStream`, which lowers
  its timeout to what is left of the operation, and the body is read through `_DeadlineBody`,
  which turns a read ended by the deadline (or a chunk arriving after it) into `HubGaveUp`.

The operation lives in a context variable, so concurrent operations on other threads keep their
own deadlines; a request made outside any operation still gets the timeouts.
"""

from __future__ import annotations

import contextvars
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpcore2
import httpx2
from django.conf import settings
from huggingface_hub import constants, set_client_factory
from huggingface_hub.utils._http import hf_request_event_hook

RETRIED_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""Answers huggingface_hub's backoff retries: each counts as a failed attempt here."""


@dataclass(frozen=True)
class HubLimits:
    """The configured bounds (seconds, and failed attempts allowed per operation)."""

    connect_timeout: float
    read_timeout: float
    deadline: float
    retries: int


def hub_limits() -> HubLimits:
    """The bounds from the settings (see `.env.example` for the variables)."""
    return HubLimits(
        connect_timeout=float(getattr(settings, "HIPPO_HUB_CONNECT_TIMEOUT", 5.0)),
        read_timeout=float(getattr(settings, "HIPPO_HUB_TIMEOUT", 10.0)),
        deadline=float(getattr(settings, "HIPPO_HUB_DEADLINE", 60.0)),
        retries=int(getattr(settings, "HIPPO_HUB_RETRIES", 2)),
    )


class HubGaveUp(httpx2.TransportError):
    """The operation's deadline or retry budget is spent (not retried by huggingface_hub)."""


@dataclass
class Operation:
    """One bounded piece of Hub work (see the module docstring).

    Attributes:
        action: What is being done, for messages ("syncing", "downloading x.safetensors").
        limits: The bounds in force.
        ends_at: `time.monotonic()` value of the deadline.
        failures: Failed attempts so far.
        last_error: What the last failed attempt met, in words.
    """

    action: str
    limits: HubLimits
    ends_at: float
    failures: int = 0
    last_error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def remaining(self) -> float:
        """Seconds left before the deadline (negative once passed)."""
        return self.ends_at - time.monotonic()

    def why_stopped(self) -> str:
        """Why no further request is allowed ("" while requests may still be sent)."""
        if self.remaining() <= 0:
            detail = f" (last attempt: {self.last_error})" if self.last_error else ""
            return f"gave up after the {self.limits.deadline:g} s deadline{detail}"
        if self.failures > self.limits.retries:
            return f"gave up after {self.failures} failed attempts (last: {self.last_error})"
        return ""


_current: contextvars.ContextVar[Operation | None] = contextvars.ContextVar(
    "hippo_hub_operation", default=None
)


def current_operation() -> Operation | None:
    """The operation of this thread (or context), if any."""
    return _current.get()


@contextmanager
def hub_operation(action: str, deadline: float | None = None) -> Iterator[Operation]:
    """Bound every Hub request made inside the block by one deadline and one retry budget.

    Nested blocks share the outermost operation (a sync's file downloads count against the
    sync's deadline).

    Args:
        action: What is being done, for messages.
        deadline: Seconds allowed (default `HIPPO_HUB_DEADLINE`).
    """
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    install_client()
    limits = hub_limits()
    seconds = limits.deadline if deadline is None else deadline
    operation = Operation(action, limits, time.monotonic() + seconds)
    token = _current.set(operation)
    try:
        yield operation
    finally:
        _current.reset(token)


def describe_failure(exc: BaseException) -> str:
    """What a transport error means, in words (never the URL's query or a header)."""
    if isinstance(exc, HubGaveUp):
        return str(exc)
    if isinstance(exc, httpx2.ConnectTimeout):
        return "the connection was not accepted in time"
    if isinstance(exc, httpx2.ConnectError):
        return "the connection was refused or failed"
    if isinstance(exc, httpx2.ReadTimeout):
        return "the Hub accepted the connection but did not answer in time"
    if isinstance(exc, httpx2.TimeoutException):
        return "the request timed out"
    return f"the connection failed ({type(exc).__name__})"


SLOW_ANSWER = "the Hub was still sending its answer"
"""`Operation.last_error` when the deadline passed while a body was streaming."""

_MIN_WAIT = 0.01
"""A socket operation past the deadline still gets this long (0 would mean "block forever")."""


def _left(timeout: float | None) -> float | None:
    """`timeout` lowered to what is left of the current operation's deadline (if any)."""
    operation = _current.get()
    if operation is None:
        return timeout
    left = max(operation.remaining(), _MIN_WAIT)
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore2.NetworkStream):
    """A connection whose every read and write waits at most until the operation's deadline.

    The operation is looked up at each call, not when the connection was made: a pooled
    connection serves later operations (of other threads too) with their own deadlines.
    """

    def __init__(self, inner: httpcore2.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read, waiting at most until the deadline."""
        return self._inner.read(max_bytes, _left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Write, waiting at most until the deadline."""
        self._inner.write(buffer, _left(timeout))

    def close(self) -> None:
        """Close the connection."""
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore2.NetworkStream:
        """The TLS connection, bounded the same way."""
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _left(timeout)))

    def get_extra_info(self, info: str) -> Any:
        """The inner connection's information (socket, TLS object, addresses)."""
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore2.NetworkBackend):
    """httpcore2's socket backend, with connections that obey the operation's deadline."""

    def __init__(self) -> None:
        self._inner = httpcore2.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        """Connect, waiting at most until the deadline."""
        return _DeadlineStream(
            self._inner.connect_tcp(host, port, _left(timeout), local_address, socket_options)
        )

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        """Connect to a Unix socket, waiting at most until the deadline."""
        return _DeadlineStream(
            self._inner.connect_unix_socket(path, _left(timeout), socket_options)
        )

    def sleep(self, seconds: float) -> None:
        """Sleep (used by httpcore2's connection retries, which are off here)."""
        self._inner.sleep(seconds)


def _gave_up(operation: Operation, request: httpx2.Request, what: str) -> HubGaveUp | None:
    """Record a failed attempt; the error to raise instead once the deadline has passed."""
    with operation.lock:
        operation.failures += 1
        operation.last_error = what
    if operation.remaining() > 0:
        return None
    return HubGaveUp(operation.why_stopped(), request=request)


class _DeadlineBody(httpx2.SyncByteStream):
    """An answer's body that ends, with `HubGaveUp`, once the operation's deadline has passed."""

    def __init__(
        self, inner: httpx2.SyncByteStream, operation: Operation, request: httpx2.Request
    ) -> None:
        self._inner = inner
        self._operation = operation
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        """The body's chunks, as long as the deadline allows."""
        operation = self._operation
        error: HubGaveUp | None = None
        try:
            for chunk in self._inner:
                if operation.remaining() <= 0:
                    error = _gave_up(operation, self._request, SLOW_ANSWER)
                    break
                yield chunk
        except HubGaveUp:
            raise
        except httpx2.TransportError as exc:
            # The read was cut by the deadline (`_DeadlineStream`), or failed on its own: either
            # way, past the deadline the error must be one huggingface_hub does not retry.
            error = _gave_up(operation, self._request, SLOW_ANSWER)
            if error is None:
                raise
            if operation.last_error == SLOW_ANSWER and not isinstance(exc, httpx2.TimeoutException):
                operation.last_error = describe_failure(exc)
        if error is not None:
            raise error

    def close(self) -> None:
        """Close the answer (its connection goes back to the pool, or is closed)."""
        self._inner.close()


def _pool() -> httpcore2.ConnectionPool:
    """httpx2's default connection pool, on the deadline-bounded backend."""
    limits = httpx2.Limits(max_connections=100, max_keepalive_connections=20)
    return httpcore2.ConnectionPool(
        ssl_context=httpx2.create_ssl_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=_DeadlineBackend(),
    )


class BoundedTransport(httpx2.BaseTransport):
    """An `httpx2.HTTPTransport` whose requests obey the current operation's bounds."""

    def __init__(self) -> None:
        self._inner = httpx2.HTTPTransport()
        # httpx2 takes no network backend, so its pool (same settings as its default) is
        # replaced by one on `_DeadlineBackend`; `test_hub_trickle` fails if this stops working.
        self._inner._pool = _pool()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        """Send `request` with bounded timeouts; refuse it once the operation is spent."""
        operation = _current.get()
        limits = operation.limits if operation is not None else hub_limits()
        connect, read = limits.connect_timeout, limits.read_timeout
        if operation is not None:
            stopped = operation.why_stopped()
            if stopped:
                raise HubGaveUp(stopped, request=request)
            left = max(operation.remaining(), 0.05)
            connect, read = min(connect, left), min(read, left)
        request.extensions = {
            **request.extensions,
            "timeout": {"connect": connect, "read": read, "write": read, "pool": connect},
        }
        try:
            response = self._inner.handle_request(request)
        except httpx2.TransportError as exc:
            if operation is None:
                raise
            # Past the deadline, huggingface_hub's backoff would still sleep before the attempt
            # that `HubGaveUp` refuses: end it here.
            gave_up = _gave_up(operation, request, describe_failure(exc))
            if gave_up is not None:
                raise gave_up from None
            raise
        if operation is None:
            return response
        if response.status_code in RETRIED_STATUSES:
            with operation.lock:
                operation.failures += 1
                operation.last_error = f"HTTP {response.status_code}"
        assert isinstance(response.stream, httpx2.SyncByteStream)
        response.stream = _DeadlineBody(response.stream, operation, request)
        return response

    def close(self) -> None:
        """Close the connection pool."""
        self._inner.close()


def bounded_client() -> httpx2.Client:
    """huggingface_hub's default client, with the bounded transport."""
    return httpx2.Client(
        event_hooks={"request": [hf_request_event_hook]},
        follow_redirects=True,
        transport=BoundedTransport(),
    )


_installed = False
_install_lock = threading.Lock()


def install_client() -> None:
    """Make huggingface_hub use `bounded_client` and the configured timeouts (idempotent).

    The client's own timeouts are replaced per request by the transport; the constants are set
    too, so calls that pass them explicitly (downloads, the ETag probe) agree.
    """
    global _installed
    limits = hub_limits()
    constants.HF_HUB_ETAG_TIMEOUT = max(1, round(limits.read_timeout))
    constants.HF_HUB_DOWNLOAD_TIMEOUT = max(1, round(limits.read_timeout))
    if _installed:
        return
    with _install_lock:
        if not _installed:
            set_client_factory(bounded_client)
            _installed = True
