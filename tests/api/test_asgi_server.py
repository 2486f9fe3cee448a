"""gunicorn's `asgi` worker serving `inference.asgi:application` over real HTTP.

A gunicorn subprocess (one worker, `hippo_site/gunicorn.conf.py`) runs on a temporary data
directory prepared as the benchmark prepares it (migrated SQLite file, a registered default model),
so the model row is read from a real database file and the lean path answers on the event loop.
The lean path's answer is compared with Django's answer to the same request (an `Origin` header
sends it through Django; no origin is allowed, so no CORS header is added), and the rest of the
site is checked to work under the worker: errors, other endpoints, multipart, admin, docs, static.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PIL import Image, ImageDraw

from bench.api_throughput import ROOT, hippo_environment, prepare_project
from bench.servers import free_port, running, wait_until_up

pytestmark = pytest.mark.slow
TIMEOUT = 10
SERVER_HEADERS = {"date", "server", "connection", "keep-alive"}
"""Headers the HTTP server adds itself (not the application's)."""


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, dict[str, str]]]:
    """The base URL of gunicorn's asgi worker serving the project, and the project's environment."""
    with tempfile.TemporaryDirectory(prefix="hippo-asgi-") as tmp:
        data_dir = Path(tmp)
        env = hippo_environment(data_dir)
        if "HIPPO_MNIST_DIR" in os.environ:
            env["HIPPO_MNIST_DIR"] = os.environ["HIPPO_MNIST_DIR"]
        prepare_project(env)
        port = free_port()
        env.update(
            {
                "HIPPO_WORKER_CLASS": "asgi",
                "WEB_CONCURRENCY": "1",
                "HIPPO_BIND": f"127.0.0.1:{port}",
            }
        )
        command = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-c",
            str(ROOT / "hippo_site" / "gunicorn.conf.py"),
        ]
        base = f"http://127.0.0.1:{port}"
        log = data_dir / "gunicorn.log"
        with running(command, cwd=ROOT, env=env, log=log) as process:
            try:
                wait_until_up(f"{base}/healthz", process)
            except RuntimeError:
                pytest.fail(log.read_text()[-3000:])
            yield base, env


@pytest.fixture
def server(served: tuple[str, dict[str, str]]) -> str:
    return served[0]


def app_headers(response: requests.Response) -> dict[str, str]:
    return {k.lower(): v for k, v in response.headers.items() if k.lower() not in SERVER_HEADERS}


def digit_png() -> bytes:
    image = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(image).line([(80, 60), (200, 60), (120, 230)], fill=0, width=24)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_predict_answers_as_django_does(server: str) -> None:
    body = json.dumps({"pixels": [0.5] * 784}).encode()
    json_type = {"Content-Type": "application/json"}
    with requests.Session() as http:
        for _ in range(3):  # the first may read the model row on a thread, the others not
            fast = http.post(f"{server}/predict", data=body, headers=json_type, timeout=TIMEOUT)
            django = http.post(
                f"{server}/predict",
                data=body,
                headers={**json_type, "Origin": "https://elsewhere.example"},
                timeout=TIMEOUT,
            )
            assert fast.status_code == django.status_code == 200
            assert fast.content == django.content
            assert app_headers(fast) == app_headers(django)
        batch = http.post(
            f"{server}/predict", json={"batch": [[0.1] * 784, [0.9] * 784]}, timeout=TIMEOUT
        )
        assert len(batch.json()["predictions"]) == 2


def test_errors_come_from_django(server: str) -> None:
    with requests.Session() as http:
        wrong = http.post(f"{server}/predict", json={"pixels": [1, 2]}, timeout=TIMEOUT)
        assert wrong.status_code == 400
        assert wrong.json()["error"]["code"] == "invalid_input"
        malformed = http.post(
            f"{server}/predict",
            data=b"{nope",
            headers={"Content-Type": "application/json"},
            timeout=TIMEOUT,
        )
        assert malformed.json()["error"]["code"] == "malformed_json"
        unknown = http.post(
            f"{server}/predict", json={"pixels": [0.5] * 784, "model": "nope"}, timeout=TIMEOUT
        )
        assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "model_not_found")
        assert http.get(f"{server}/predict", timeout=TIMEOUT).status_code == 405
        text = http.post(f"{server}/predict", data="x", timeout=TIMEOUT)
        assert text.status_code == 415


def test_the_rest_of_the_site_works(server: str) -> None:
    with requests.Session() as http:
        models = http.get(f"{server}/models", timeout=TIMEOUT)
        assert models.status_code == 200
        assert models.json()["default"]
        image = http.post(
            f"{server}/predict/image",
            files={"image": ("digit.png", digit_png(), "image/png")},
            timeout=TIMEOUT,
        )
        assert image.status_code == 200, image.text[:500]
        assert len(image.json()["pixels"]) == 784
        samples = http.get(f"{server}/mnist/samples?count=2", timeout=TIMEOUT)
        assert samples.status_code in (200, 503)  # 503: MNIST not installed here
        assert "samples" in samples.json() or samples.json()["error"]["code"] == "mnist_unavailable"
        login = http.get(f"{server}/admin/login/", timeout=TIMEOUT)
        assert login.status_code == 200
        assert "csrfmiddlewaretoken" in login.text
        docs = http.get(f"{server}/docs", timeout=TIMEOUT)
        assert docs.status_code == 200
        scripts = [part.split('"')[0] for part in docs.text.split('src="')[1:]]
        assert scripts
        for script in scripts:
            assert http.get(f"{server}{script}", timeout=TIMEOUT).status_code == 200
        assert http.get(f"{server}/api/schema/", timeout=TIMEOUT).status_code == 200


def test_a_change_in_the_database_reaches_the_worker(served: tuple[str, dict[str, str]]) -> None:
    """Another process disables the default model: the next request sees it (run last)."""
    import subprocess

    base, env = served
    body = {"pixels": [0.5] * 784}
    with requests.Session() as http:
        for _ in range(3):  # the row is remembered by now
            assert http.post(f"{base}/predict", json=body, timeout=TIMEOUT).status_code == 200
        subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "python"),
                "manage.py",
                "shell",
                "-c",
                "from registry.models import RegisteredModel; "
                "RegisteredModel.objects.update(enabled=False)",
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
        answer = http.post(f"{base}/predict", json=body, timeout=TIMEOUT)
        assert answer.status_code in (404, 409), answer.text[:300]
        assert answer.json()["error"]["code"] in ("no_default_model", "model_unavailable")
