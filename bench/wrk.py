"""Running `wrk` and reading its report (requests/s, p50, p99, errors), and its Lua scripts."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    connections: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    """Socket errors plus non-2xx/3xx responses."""


def _latency_ms(text: str, percentile: str) -> float:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.MULTILINE)
    if match is None:
        raise ValueError(f"no {percentile}% latency in wrk output:\n{text}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk_output(text: str, connections: int) -> WrkResult:
    """Parse the output of `wrk --latency`."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in", text, re.MULTILINE)
    if rps is None or total is None:
        raise ValueError(f"unexpected wrk output:\n{text}")
    errors = 0
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    if socket:
        errors += sum(int(n) for n in socket.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if non_2xx:
        errors += int(non_2xx.group(1))
    return WrkResult(
        connections=connections,
        requests_per_second=float(rps.group(1)),
        p50_ms=_latency_ms(text, "50"),
        p99_ms=_latency_ms(text, "99"),
        requests=int(total.group(1)),
        errors=errors,
    )


def wrk_command(url: str, script: Path | None, connections: int, seconds: float) -> list[str]:
    """The wrk command line: one thread, `connections` connections, latency percentiles.

    One wrk thread keeps up with far more than these servers answer, and leaves the second core
    to the servers under test (both sides get the same client).
    """
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    return [*command, url]


def run_wrk(url: str, script: Path | None, connections: int, seconds: float) -> WrkResult:
    """Run wrk against `url` (GET without a script) and parse its report."""
    done = subprocess.run(
        wrk_command(url, script, connections, seconds),
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    return parse_wrk_output(done.stdout, connections)


def post_script(folder: Path, name: str, body: bytes, content_type: str) -> Path:
    """Write a wrk Lua script that POSTs `body` (kept in a file beside it) as `content_type`."""
    body_file = folder / f"{name}.body"
    body_file.write_bytes(body)
    script = folder / f"{name}.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f'wrk.headers["Content-Type"] = "{content_type}"\n'
        f'local file = io.open("{body_file}", "rb")\n'
        'wrk.body = file:read("*all")\n'
        "file:close()\n"
    )
    return script
