"""Small predictions while clients flood the server with large images: `POST /predict` req/s.

Run: `.venv/bin/python -m bench.image_fairness` (~30 s). Figures to read, not a test to pass;
timed figures are only meaningful under the shared benchmark lock
(`flock /tmp/hippo-bench.lock .venv/bin/python -m bench.image_fairness`).

A temporary project (SQLite, local store, a seeded 784-100-10 default network, as in
`bench.api_throughput`) is served by gunicorn with `hippo_site/gunicorn.conf.py` (2 workers). Client
threads post one small image to `POST /predict` as fast as they are answered, first alone
("idle"), then while `BENCH_FLOODERS` (default 8) other clients post a 4096 x 4096 PNG (a few tens
of KB: the largest image the API accepts) to `POST /predict/image` without pause. Each flooding
client comes from its own loopback address (127.0.0.11, .12, ...; Linux routes all of 127/8 to
the loopback interface), so a per-client bound cannot hide a missing global one;
`BENCH_FLOOD_FROM=same` sends them all from 127.0.0.1 instead. Printed: req/s, p50 and p99 of the
small requests idle and flooded, their ratio, and what the flood got back (200s, 429/503 `busy`).

Environment: `BENCH_SECONDS` (per phase, default 6), `BENCH_CLIENTS` (small-request clients,
default 4), `BENCH_FLOODERS` (default 8), `BENCH_FLOOD_FROM` (`distinct` or `same`),
`BENCH_FLOOD_BODY` (`large`, or `small`: the control, a flood of small `POST /predict`),
`BENCH_WORKERS` (default 2); `HIPPO_THREADS`, `HIPPO_IMAGE_DECODERS` etc. reach the server.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.api_throughput import ROOT, hippo_environment, prepare_project
from bench.image_decode import drawing, encoded
from bench.servers import free_port, running, wait_until_up

BOUNDARY = "hippo-bench-boundary"
PASSED_THROUGH = ("HIPPO_IMAGE_DECODERS", "HIPPO_IMAGE_DECODERS_PER_CLIENT")


def small_body() -> bytes:
    """`POST /predict` with one image: a faint square on black."""
    pixels = [0.0] * 784
    for row in range(8, 20):
        for column in range(10, 18):
            pixels[row * 28 + column] = 0.9
    return json.dumps({"pixels": pixels}).encode()


def multipart_image(png: bytes) -> bytes:
    """A `multipart/form-data` body with `png` as the `image` file."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="big.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    return head + png + f"\r\n--{BOUNDARY}--\r\n".encode()


@dataclass
class Tally:
    """Answers of one group of clients: latencies of the 200s, and every status seen."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses[status] += 1
            if status == 200:
                self.latencies.append(seconds)

    def percentile(self, share: float) -> float:
        """The `share` quantile of the 200s' latencies, in ms (nan without any)."""
        with self.lock:
            ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _client(
    port: int,
    path: str,
    body: bytes,
    content_type: str,
    tally: Tally,
    stop: threading.Event,
    source: str | None,
) -> None:
    """Post `body` to `path` on a keep-alive connection until `stop` (reconnects after errors:
    `http.client` opens a closed connection again on the next request)."""
    headers = {"Content-Type": content_type}
    address = (source, 0) if source else None
    connection = http.client.HTTPConnection("127.0.0.1", port, 30, address)
    while not stop.is_set():
        started = time.monotonic()
        try:
            connection.request("POST", path, body, headers)
            response = connection.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                connection.close()  # the next request opens a new connection
        except (OSError, http.client.HTTPException):
            status = 0
            connection.close()
        tally.add(status, time.monotonic() - started)
    connection.close()


@contextmanager
def clients(
    port: int,
    count: int,
    path: str,
    body: bytes,
    content_type: str,
    tally: Tally,
    sources: list[str | None] | None = None,
) -> Iterator[None]:
    """`count` client threads posting `body` until the block ends."""
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=_client,
            args=(port, path, body, content_type, tally, stop, sources[i] if sources else None),
            daemon=True,
        )
        for i in range(count)
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=35)


@dataclass(frozen=True)
class Phase:
    """Small requests measured over one phase."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int]


def measure_small(port: int, clients_count: int, seconds: float) -> Phase:
    """Small `POST /predict` requests from `clients_count` clients for `seconds`."""
    tally = Tally()
    with clients(port, clients_count, "/predict", small_body(), "application/json", tally):
        time.sleep(seconds)
    ok = tally.statuses.get(200, 0)
    return Phase(ok / seconds, tally.percentile(0.5), tally.percentile(0.99), dict(tally.statuses))


def flood_sources(count: int, mode: str) -> list[str | None]:
    """One loopback address per flooding client (`distinct`), or the default for all (`same`)."""
    if mode == "same":
        return [None] * count
    return [f"127.0.0.{11 + i}" for i in range(count)]


def measure(
    port: int,
    clients_count: int,
    flooders: int,
    seconds: float,
    mode: str = "distinct",
    body: str = "large",
) -> tuple[Phase, Phase, Tally]:
    """Idle, then flooded: both phases of small requests, and the flood's own answers.

    `body="small"` floods with small `POST /predict` requests instead: the control, what any
    eight clients sending without pause cost the others.
    """
    idle = measure_small(port, clients_count, seconds)
    flood = Tally()
    if body == "small":
        path, payload, content_type = "/predict", small_body(), "application/json"
    else:
        path, payload = "/predict/image", multipart_image(encoded(drawing(), "PNG"))
        content_type = f"multipart/form-data; boundary={BOUNDARY}"
    sources = flood_sources(flooders, mode)
    with clients(port, flooders, path, payload, content_type, flood, sources):
        time.sleep(min(1.0, seconds / 4))  # the flood is in full swing before measuring
        flooded = measure_small(port, clients_count, seconds)
    return idle, flooded, flood


def report(idle: Phase, flooded: Phase, flood: Tally, seconds: float) -> str:
    """The figures, one line each."""
    idle_rate = idle.requests_per_second
    ratio = flooded.requests_per_second / idle_rate if idle_rate else 0.0
    total = sum(flood.statuses.values())
    return "\n".join(
        [
            f"idle:    {idle.requests_per_second:7.1f} req/s  p50 {idle.p50_ms:6.1f} ms  "
            f"p99 {idle.p99_ms:7.1f} ms  statuses {idle.statuses}",
            f"flooded: {flooded.requests_per_second:7.1f} req/s  p50 {flooded.p50_ms:6.1f} ms  "
            f"p99 {flooded.p99_ms:7.1f} ms  statuses {flooded.statuses}",
            f"ratio flooded/idle: {ratio:.2f}",
            f"flood: {total / seconds:.1f} req/s, statuses {dict(flood.statuses)}, "
            f"decoded p50 {flood.percentile(0.5):.0f} ms",
        ]
    )


def main() -> int:
    """Start the server, measure both phases, print the report."""
    seconds = float(os.environ.get("BENCH_SECONDS", "6"))
    clients_count = int(os.environ.get("BENCH_CLIENTS", "4"))
    flooders = int(os.environ.get("BENCH_FLOODERS", "8"))
    mode = os.environ.get("BENCH_FLOOD_FROM", "distinct")
    body = os.environ.get("BENCH_FLOOD_BODY", "large")
    workers = os.environ.get("BENCH_WORKERS", "2")
    with tempfile.TemporaryDirectory(prefix="hippo-bench-") as tmp:
        data_dir = Path(tmp)
        env = hippo_environment(data_dir)
        env.update({key: os.environ[key] for key in PASSED_THROUGH if key in os.environ})
        prepare_project(env)
        port = free_port()
        env.update({"WEB_CONCURRENCY": workers, "HIPPO_BIND": f"127.0.0.1:{port}"})
        config = str(ROOT / "hippo_site" / "gunicorn.conf.py")
        command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", config]
        with running(command, cwd=ROOT, env=env, log=data_dir / "gunicorn.log") as process:
            wait_until_up(f"http://127.0.0.1:{port}/readyz", process)
            print(
                f"{workers} workers, {clients_count} small clients, {flooders} flooding clients "
                f"({mode} addresses, {body} bodies), {seconds:.0f} s per phase; "
                f"load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
            idle, flooded, flood = measure(port, clients_count, flooders, seconds, mode, body)
            print(report(idle, flooded, flood, seconds), flush=True)
            if not flooded.statuses.get(200):  # no small request was answered at all
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
