"""`POST /predict` while eight clients hammer the admin's log-in with wrong passwords.

Run: `.venv/bin/python -m bench.login_flood` (~1 minute). Timed figures are only meaningful under
the shared benchmark lock: `flock /tmp/hippo-bench.lock .venv/bin/python -m bench.login_flood`.

A temporary project (SQLite, a seeded 784-100-10 default network, as `bench.api_throughput`
prepares it) is served by gunicorn with `hippo_site/gunicorn.conf.py` (2 workers). `wrk` (one
thread) measures single-image `POST /predict` at `BENCH_PREDICT_CONNECTIONS` connections (default
4), first alone, then while a second wrk keeps 8 connections posting the admin's log-in form with
a wrong password (a valid CSRF token, so each attempt reaches `authenticate`). The ratio of the two
requests/s is the figure (target >= 0.80), for two configurations:

1. the defaults: the flood's address is locked out after `HIPPO_LOGIN_FAILURES_PER_ADDRESS`
   failures and then answered 429 before any password is hashed;
2. no lockout (limits of 10^9): every attempt reaches the password hasher, and only the bounded,
   low-priority hashing (`login_guard.hashing`) stands between the flood and the serving threads.

The log-in answers (status counts) and the load average before and after are printed.

Environment: `BENCH_SECONDS` (per measurement, default 8), `BENCH_PREDICT_CONNECTIONS`,
`BENCH_WORKERS` (default 2).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench.api_throughput import ROOT, hippo_environment, prepare_project
from bench.servers import free_port, running, wait_until_up
from bench.wrk import WrkResult, parse_wrk_output, post_script, run_wrk, wrk_command

TARGET_RATIO = 0.80
FLOOD_CONNECTIONS = 8
NO_LIMIT = "1000000000"
SAMPLE = json.dumps({"pixels": [0.5] * 784}).encode()


def csrf_pair(base: str) -> tuple[str, str]:
    """The CSRF cookie and form token of the admin's log-in page, as a browser gets them."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/admin/login/", timeout=10) as page:
        html = page.read().decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    cookie = next((c.value for c in jar if c.name == "csrftoken"), None)
    if found is None or cookie is None:
        raise RuntimeError("no CSRF token on the log-in page")
    return cookie, found.group(1)


def flood_script(folder: Path, base: str) -> Path:
    """A wrk script posting the log-in form with a wrong password, counting answers by status."""
    cookie, token = csrf_pair(base)
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": "admin", "password": "wrong", "next": "/admin/"}
    )
    script = folder / "login.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        f'wrk.headers["Cookie"] = "csrftoken={cookie}"\n'
        f'wrk.body = "{form}"\n'
        "local threads = {}\n"
        "function setup(thread) table.insert(threads, thread) end\n"
        "function init(args) statuses = {} end\n"
        "function response(status, headers, body)\n"
        "  statuses[status] = (statuses[status] or 0) + 1\n"
        "end\n"
        "function done(summary, latency, requests)\n"
        "  for _, thread in ipairs(threads) do\n"
        '    for status, count in pairs(thread:get("statuses")) do\n'
        '      io.write("status ", status, " ", count, "\\n")\n'
        "    end\n"
        "  end\n"
        "end\n"
    )
    return script


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def measure_pair(base: str, predict: Path, flood: Path, seconds: float) -> tuple[WrkResult, str]:
    """/predict while the flood runs (started 2 s before, ended after); the flood's statuses."""
    connections = int(os.environ.get("BENCH_PREDICT_CONNECTIONS", "4"))
    command = wrk_command(f"{base}/admin/login/", flood, FLOOD_CONNECTIONS, seconds + 4)
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as flooding:
        time.sleep(2)
        loaded = run_wrk(f"{base}/predict", predict, connections, seconds)
        out, _ = flooding.communicate(timeout=seconds + 60)
    flood_result = parse_wrk_output(out, FLOOD_CONNECTIONS)
    statuses = ", ".join(re.findall(r"^status (\d+ \d+)$", out, re.MULTILINE))
    rate = flood_result.requests_per_second
    summary = f"{rate:.0f} log-ins/s, answers (status count): {statuses}"
    return loaded, summary


def scenario(name: str, extra_env: dict[str, str], seconds: float) -> float:
    """Serve a fresh project with `extra_env`; print idle vs flooded /predict; the ratio."""
    workers = os.environ.get("BENCH_WORKERS", "2")
    connections = int(os.environ.get("BENCH_PREDICT_CONNECTIONS", "4"))
    with tempfile.TemporaryDirectory(prefix="hippo-login-flood-") as tmp:
        data_dir = Path(tmp)
        env = hippo_environment(data_dir)
        prepare_project(env)
        port = free_port()
        env.update(extra_env)
        env.update({"WEB_CONCURRENCY": workers, "HIPPO_BIND": f"127.0.0.1:{port}"})
        base = f"http://127.0.0.1:{port}"
        command = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-c",
            str(ROOT / "hippo_site" / "gunicorn.conf.py"),
        ]
        with running(command, cwd=ROOT, env=env, log=data_dir / "gunicorn.log") as process:
            wait_until_up(f"{base}/predict", process, body=SAMPLE)
            predict = post_script(data_dir, "predict", SAMPLE, "application/json")
            run_wrk(f"{base}/predict", predict, connections, 2)  # warm-up
            idle = run_wrk(f"{base}/predict", predict, connections, seconds)
            loaded, flood = measure_pair(base, predict, flood_script(data_dir, base), seconds)
    ratio = loaded.requests_per_second / max(idle.requests_per_second, 1e-9)
    print(f"\n{name}")
    for label, result in (("idle", idle), ("flooded", loaded)):
        print(
            f"  /predict {label:8} {result.requests_per_second:8.1f} req/s"
            f"  p50 {result.p50_ms:7.1f} ms  p99 {result.p99_ms:7.1f} ms  errors {result.errors}"
        )
    print(f"  log-in flood: {flood}")
    verdict = "PASS" if ratio >= TARGET_RATIO else "MISS"
    print(f"  ratio {ratio:.2f} (target >= {TARGET_RATIO:.2f}): {verdict}", flush=True)
    return ratio


def main() -> int:
    """Both scenarios; exit status 1 when a ratio misses the target."""
    seconds = float(os.environ.get("BENCH_SECONDS", "8"))
    print(f"load average before: {load()}  ({os.cpu_count()} cores)", flush=True)
    ratios = [
        scenario("defaults (lockout after the per-address limit)", {}, seconds),
        scenario(
            "no lockout (every attempt hashed: bounded, low-priority hashing only)",
            {"HIPPO_LOGIN_FAILURES": NO_LIMIT, "HIPPO_LOGIN_FAILURES_PER_ADDRESS": NO_LIMIT},
            seconds,
        ),
    ]
    print(f"\nload average after: {load()}")
    return 0 if min(ratios) >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
