"""The OpenAPI schema asked for by several threads of a fresh process at once: all answered.

drf-spectacular loads its extensions on first use, not thread-safely; the fuzz run found two
first `GET /api/schema/` at once in one gunicorn worker answering 500. Each attempt here is a new
Python process (extensions not loaded yet) whose threads ask at the same moment.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.api_throughput import ROOT, hippo_environment

pytestmark = pytest.mark.slow

THREADS = 8
ATTEMPTS = 3

SCRIPT = f"""
import json, threading
import django
django.setup()
from django.test import Client

barrier = threading.Barrier({THREADS})
statuses = []

def ask():
    client = Client(raise_request_exception=False)
    barrier.wait()
    answer = client.get("/api/schema/", headers={{"Accept": "application/json"}})
    statuses.append(answer.status_code)

threads = [threading.Thread(target=ask) for _ in range({THREADS})]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(sorted(statuses)))
"""


def test_concurrent_first_schema_requests_are_all_answered(tmp_path: Path) -> None:
    env = {**hippo_environment(tmp_path), "DJANGO_SETTINGS_MODULE": "hippo_site.settings"}
    env["LOG_LEVEL"] = "CRITICAL"  # a 500 is logged with its traceback; the statuses tell
    for _ in range(ATTEMPTS):
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert json.loads(done.stdout.splitlines()[-1]) == [200] * THREADS
