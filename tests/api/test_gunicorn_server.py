"""The shipped gunicorn configuration serving the project over real HTTP.

gunicorn subprocesses (`hippo_site/gunicorn.conf.py`, gthread, two workers) run on a temporary data
directory prepared as the benchmark prepares it (migrated SQLite file, a registered default model).
They check what only a real server shows: chunked request bodies, binary batches over the wire,
a default change reaching every worker within a second, and gunicorn's own behaviour (no second
server on one address, the backlog applied, a replaced worker answering, no shared control
socket, the bound address in the log).

Workers are told apart by stopping all but one of them (SIGSTOP): new connections then reach only
the one left running, through the socket they share.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil
import pytest
import requests
from PIL import Image, ImageDraw

from bench.api_throughput import ROOT, hippo_environment, prepare_project
from bench.servers import free_port, running, wait_until_up

pytestmark = pytest.mark.slow
TIMEOUT = 10
GUNICORN = [
    str(ROOT / ".venv" / "bin" / "gunicorn"),
    "-c",
    str(ROOT / "hippo_site" / "gunicorn.conf.py"),
]


@dataclass
class Served:
    """A running gunicorn: its base URL, master process, environment and log."""

    base: str
    port: int
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    data_dir: Path
    log: Path

    def workers(self) -> list[psutil.Process]:
        """The worker processes, oldest first."""
        children = psutil.Process(self.process.pid).children()
        return sorted(children, key=lambda child: child.create_time())


@contextlib.contextmanager
def gunicorn(workers: int = 2) -> Iterator[Served]:
    """gunicorn with the shipped configuration on a fresh data directory and a free port."""
    with tempfile.TemporaryDirectory(prefix="hippo-gunicorn-") as tmp:
        data_dir = Path(tmp)
        env = hippo_environment(data_dir)
        if "HIPPO_MNIST_DIR" in os.environ:
            env["HIPPO_MNIST_DIR"] = os.environ["HIPPO_MNIST_DIR"]
        prepare_project(env)
        port = free_port()
        home = data_dir / "home"
        home.mkdir()
        env.pop("XDG_RUNTIME_DIR", None)
        env.update(
            {"WEB_CONCURRENCY": str(workers), "HIPPO_BIND": f"127.0.0.1:{port}", "HOME": str(home)}
        )
        env.pop("HIPPO_WORKER_CLASS", None)
        base = f"http://127.0.0.1:{port}"
        log = data_dir / "gunicorn.log"
        with running(GUNICORN, cwd=ROOT, env=env, log=log) as process:
            served = Served(base, port, process, env, data_dir, log)
            try:
                wait_until_up(f"{base}/healthz", process)
                wait_for_workers(served, workers)
            except RuntimeError:
                pytest.fail(log.read_text()[-3000:])
            yield served


def wait_for_workers(served: Served, count: int, timeout: float = 30.0) -> None:
    """Wait until `count` workers run and every one of them has answered `/healthz`."""
    deadline = time.monotonic() + timeout
    while len(served.workers()) != count:
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.1)
    for worker in served.workers():
        with only(served, worker):
            answered = get_fresh(f"{served.base}/healthz")
            assert answered.status_code == 200


@contextlib.contextmanager
def only(served: Served, worker: psutil.Process) -> Iterator[None]:
    """Stop every other worker for the block: new connections reach `worker` alone."""
    others = [other for other in served.workers() if other.pid != worker.pid]
    for other in others:
        other.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        for other in others:
            other.send_signal(signal.SIGCONT)


def get_fresh(url: str) -> requests.Response:
    """GET on a new connection (a kept-alive one could belong to a stopped worker)."""
    return requests.get(url, timeout=TIMEOUT, headers={"Connection": "close"})


def post_fresh(url: str, **kwargs: object) -> requests.Response:
    """POST on a new connection."""
    headers = {"Connection": "close", **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    return requests.post(url, timeout=TIMEOUT, headers=headers, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """One gunicorn shared by the HTTP tests of this module."""
    with gunicorn() as server:
        yield server


def digit_png() -> bytes:
    image = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(image).line([(80, 60), (200, 60), (120, 230)], fill=0, width=24)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def test_predict_json_and_binary_agree(served: Served) -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 784), dtype=np.uint8)
    url = f"{served.base}/predict"
    with requests.Session() as http:
        as_json = http.post(url, json={"batch": (images / 255).tolist()}, timeout=TIMEOUT)
        octets = http.post(
            url,
            data=images.tobytes(),
            headers={"Content-Type": "application/octet-stream"},
            timeout=TIMEOUT,
        )
        as_npy = http.post(
            url,
            data=npy(images.reshape(5, 28, 28)),
            headers={"Content-Type": "application/x-npy"},
            timeout=TIMEOUT,
        )
    assert as_json.status_code == octets.status_code == as_npy.status_code == 200
    digits = [p["predicted_digit"] for p in as_json.json()["predictions"]]
    assert [p["predicted_digit"] for p in octets.json()["predictions"]] == digits
    assert [p["predicted_digit"] for p in as_npy.json()["predictions"]] == digits
    np.testing.assert_allclose(
        [p["probabilities"] for p in octets.json()["predictions"]],
        [p["probabilities"] for p in as_json.json()["predictions"]],
        rtol=1e-5,
    )


def test_a_chunked_body_is_read(served: Served) -> None:
    body = json.dumps({"pixels": [0.5] * 784}).encode()

    def pieces() -> Iterator[bytes]:  # requests sends a generator with Transfer-Encoding: chunked
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    answer = requests.post(
        f"{served.base}/predict",
        data=pieces(),
        headers={"Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text[:300]
    plain = requests.post(
        f"{served.base}/predict",
        data=body,
        timeout=TIMEOUT,
        headers={"Content-Type": "application/json"},
    )
    assert answer.json() == plain.json()


def test_a_chunked_body_over_the_limit_is_413(served: Served) -> None:
    def pieces() -> Iterator[bytes]:
        yield b'{"batch": ['
        for _ in range(9 * 1024):  # ~9 MB, over the 8 MB limit
            yield b"[" + b"0.5," * 255 + b"0.5],"
        yield b"[0.5]]}"

    answer = requests.post(
        f"{served.base}/predict",
        data=pieces(),
        headers={"Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("headers", "status", "starts"),
    [
        ({"Accept": "text/html"}, 406, '{"error":{"code":"not_acceptable"'),
        ({"Accept": "application/json; indent=2"}, 200, '{\n  "predicted_digit"'),
        ({"Content-Type": "application/jsonx"}, 415, '{"error":{"code":"unsupported_media_type"'),
    ],
)
def test_negotiation_and_content_types(
    served: Served, headers: dict[str, str], status: int, starts: str
) -> None:
    answer = requests.post(
        f"{served.base}/predict",
        data=json.dumps({"pixels": [0.5] * 784}),
        headers={"Content-Type": "application/json", **headers},
        timeout=TIMEOUT,
    )
    assert answer.status_code == status
    assert answer.text.startswith(starts), answer.text[:100]


def test_errors_come_in_the_envelope(served: Served) -> None:
    base = served.base
    with requests.Session() as http:
        wrong = http.post(f"{base}/predict", json={"pixels": [1, 2]}, timeout=TIMEOUT)
        assert (wrong.status_code, wrong.json()["error"]["code"]) == (400, "invalid_input")
        malformed = http.post(
            f"{base}/predict",
            data=b"{nope",
            headers={"Content-Type": "application/json"},
            timeout=TIMEOUT,
        )
        assert malformed.json()["error"]["code"] == "malformed_json"
        unknown = http.post(
            f"{base}/predict", json={"pixels": [0.5] * 784, "model": "nope"}, timeout=TIMEOUT
        )
        assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "model_not_found")
        assert http.get(f"{base}/predict", timeout=TIMEOUT).status_code == 405
        assert http.post(f"{base}/predict", data="x", timeout=TIMEOUT).status_code == 415


def test_the_rest_of_the_site_works(served: Served) -> None:
    base = served.base
    with requests.Session() as http:
        models = http.get(f"{base}/models", timeout=TIMEOUT)
        assert models.status_code == 200
        assert models.json()["default"]
        image = http.post(
            f"{base}/predict/image",
            files={"image": ("digit.png", digit_png(), "image/png")},
            timeout=TIMEOUT,
        )
        assert image.status_code == 200, image.text[:500]
        assert len(image.json()["pixels"]) == 784
        samples = http.get(f"{base}/mnist/samples?count=2", timeout=TIMEOUT)
        assert samples.status_code in (200, 503)  # 503: MNIST not installed here
        assert "samples" in samples.json() or samples.json()["error"]["code"] == "mnist_unavailable"
        login = http.get(f"{base}/admin/login/", timeout=TIMEOUT)
        assert login.status_code == 200
        assert "csrfmiddlewaretoken" in login.text
        docs = http.get(f"{base}/docs", timeout=TIMEOUT)
        assert docs.status_code == 200
        scripts = [part.split('"')[0] for part in docs.text.split('src="')[1:]]
        assert scripts
        for script in scripts:
            assert http.get(f"{base}{script}", timeout=TIMEOUT).status_code == 200
        assert http.get(f"{base}/api/schema/", timeout=TIMEOUT).status_code == 200


def set_enabled(served: Served, *, enabled: bool) -> None:
    """Enable or disable every model with a plain SQLite connection (another process would)."""
    with contextlib.closing(sqlite3.connect(served.data_dir / "hippo.sqlite3")) as connection:
        connection.execute("UPDATE registry_registeredmodel SET enabled = ?", (int(enabled),))
        connection.commit()


def test_a_database_change_reaches_every_worker_within_a_second(served: Served) -> None:
    """A default disabled by another process is refused by each worker 1 s later (run last)."""
    url = f"{served.base}/predict"
    body = {"pixels": [0.5] * 784}
    workers = served.workers()
    assert len(workers) == 2
    for worker in workers:  # each worker reads and remembers the row
        with only(served, worker):
            for _ in range(3):
                assert post_fresh(url, json=body).status_code == 200
    set_enabled(served, enabled=False)
    changed = time.monotonic()
    try:
        while time.monotonic() - changed < 1.0:  # keep the workers busy: no idle expiry
            post_fresh(url, json=body)
        for worker in workers:
            with only(served, worker):
                answer = post_fresh(url, json=body)
                assert answer.status_code in (404, 409), answer.text[:300]
                assert answer.json()["error"]["code"] in ("no_default_model", "model_unavailable")
    finally:
        set_enabled(served, enabled=True)


def test_gunicorn_operations() -> None:
    """One instance: the bound address logged, backlog applied, no control socket, no second
    server on the same address, and a worker killed with SIGKILL replaced and answering."""
    with gunicorn() as server:
        text = server.log.read_text()
        assert f"Listening at: http://127.0.0.1:{server.port}" in text
        listening = subprocess.run(
            ["ss", "-ltnH", f"sport = :{server.port}"], capture_output=True, text=True, check=True
        ).stdout.split()
        assert listening[0] == "LISTEN"
        assert int(listening[2]) == 2048, listening  # Send-Q of a listening socket: its backlog
        assert not (server.data_dir / "home" / ".gunicorn").exists()

        second_log = server.data_dir / "second.log"
        with running(GUNICORN, cwd=ROOT, env=server.env, log=second_log) as second:
            second.wait(timeout=60)
        assert second.returncode != 0
        assert "Address already in use" in second_log.read_text()

        victim, survivor = server.workers()
        victim.send_signal(signal.SIGKILL)
        deadline = time.monotonic() + 30
        while {w.pid for w in server.workers()} in ({survivor.pid}, {victim.pid, survivor.pid}):
            assert time.monotonic() < deadline, "the killed worker was not replaced"
            time.sleep(0.1)
        replacement = next(w for w in server.workers() if w.pid != survivor.pid)
        body = {"pixels": [0.5] * 784}
        deadline = time.monotonic() + 30
        with only(server, replacement):
            while True:  # the replacement may still be importing Django
                try:
                    answer = post_fresh(f"{server.base}/predict", json=body)
                    break
                except requests.ConnectionError:
                    assert time.monotonic() < deadline
            assert answer.status_code == 200
            for _ in range(20):
                assert post_fresh(f"{server.base}/predict", json=body).status_code == 200
