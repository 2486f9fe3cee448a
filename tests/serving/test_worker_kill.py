"""`kill -9` of a gunicorn worker under load: few errors, and the replacement serves again.

One instance with two workers (`hippo_site/gunicorn.conf.py`) is loaded by client threads on
keep-alive connections; one worker is killed with SIGKILL. Only requests around the kill may fail:
those in flight on the killed worker's connections, and a reconnection that reached its listening
socket before the kernel closed it (each worker has its own, see the config): at most two per
client, all sent within a second of the kill. The master starts a
replacement; and the replacement must take its share of new connections: capacity is back to two
workers, not one. Which process answered is read from gunicorn's access log (`%(p)s`, the pid).
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
import requests

from tests.api.helpers import digit_pixels
from tests.serving.helpers import TIMEOUT, Load, gunicorn, make_project

pytestmark = [pytest.mark.slow, pytest.mark.own_sqlite]

CLIENTS = 4
FRESH_CONNECTIONS = 200


def workers_of(master: psutil.Process) -> set[int]:
    return {child.pid for child in master.children()}


def served_by(log: Path) -> Counter[int]:
    """Requests per worker pid in the access log (each line starts with `<pid>`)."""
    lines = log.read_text().splitlines() if log.exists() else []
    return Counter(int(line.split()[0].strip("<>")) for line in lines if line.startswith("<"))


def test_kill_9_of_a_worker_under_load(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    access = tmp_path / "access.log"
    with gunicorn(
        project,
        workers=2,
        HIPPO_ACCESS_LOG=str(access),
        GUNICORN_CMD_ARGS="--access-logformat '%(p)s %(s)s %(U)s'",
    ) as server:
        master = psutil.Process(server.process.pid)
        before = workers_of(master)
        assert len(before) == 2
        with Load(server.url, threads=CLIENTS, max_seconds=90) as load:
            load.wait_for(200)
            victim = min(before)
            os.kill(victim, signal.SIGKILL)
            killed = time.monotonic()
            deadline = killed + 30
            while time.monotonic() < deadline and len(workers_of(master) - before) < 1:
                time.sleep(0.05)
            replacement = workers_of(master) - before
            assert len(replacement) == 1, "no replacement worker was started"
            (new_pid,) = replacement
            # The replacement boots (imports Django, loads the default network) before it
            # accepts; the load goes on meanwhile, on keep-alive connections the survivor holds.
            ready = f"Worker ready to accept (pid: {new_pid})"
            while time.monotonic() < deadline and ready not in server.log.read_text():
                time.sleep(0.1)
            assert ready in server.log.read_text(), "the replacement never became ready"
            load.wait_for(300)

        # New connections, one request each, from CLIENTS threads at once: the workers share one
        # listening socket and each takes the connections that arrive while the other is busy.
        # (One connection at a time is a poor probe: with both idle, one often wins 85-95 % of
        # the races, before a kill as after.)
        seen_before = served_by(access)[new_pid]

        def fresh_request(_: int) -> int:
            with requests.Session() as http:
                answer = http.post(
                    f"{server.url}/predict", json={"pixels": digit_pixels()}, timeout=TIMEOUT
                )
                return answer.status_code

        with ThreadPoolExecutor(CLIENTS) as pool:
            statuses = Counter(pool.map(fresh_request, range(FRESH_CONNECTIONS)))
        time.sleep(0.5)  # the access log is written after the answer
        share = served_by(access)[new_pid] - seen_before

    errors = [answer for answer in load.answers if answer.status != 200]
    print(
        f"{len(load.answers)} requests under load, {len(errors)} failed around the kill; "
        f"the replacement answered {share} of {FRESH_CONNECTIONS} new connections"
    )
    assert len(errors) <= 2 * CLIENTS, errors
    assert all(abs(answer.sent - killed) <= 1.0 for answer in errors), errors
    assert statuses == {200: FRESH_CONNECTIONS}
    assert victim not in workers_of_after(server.log, victim)
    # Two workers at four clients split about evenly (measured 107/93 and 91/109 without a kill).
    assert share >= FRESH_CONNECTIONS // 5, f"the replacement served {share} of them"


def workers_of_after(log: Path, victim: int) -> set[int]:
    """Pids gunicorn's log reports as booted after the kill (the victim must not be back)."""
    booted = set()
    for line in log.read_text().splitlines():
        if "Booting worker with pid:" in line:
            booted.add(int(line.rsplit(":", 1)[1]))
    return booted - {victim}
