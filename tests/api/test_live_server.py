"""The main flows over real HTTP against a live server (requests), including the original API's
JavaScript example and the default switch, and the fast path served by a real WSGI server."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import numpy as np
import pytest
import requests
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from PIL import Image
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from inference.fast_path import PredictFastPath
from registry.models import RegisteredModel
from registry.services import load_network, make_default
from tests.api.helpers import digit_pixels

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 10


def test_main_flows(
    live_server: LiveServer, two_registered_models: tuple[RegisteredModel, ...]
) -> None:
    first, second = two_registered_models
    base = live_server.url
    with requests.Session() as http:
        assert http.get(f"{base}/healthz", timeout=TIMEOUT).json() == {"status": "ok"}
        assert http.get(f"{base}/readyz", timeout=TIMEOUT).json()["status"] == "ready"
        models = http.get(f"{base}/models", timeout=TIMEOUT).json()
        assert models["default"] == first.name
        assert {m["name"] for m in models["models"]} == {first.name, second.name}
        detail = http.get(f"{base}/models/{second.name}", timeout=TIMEOUT).json()
        assert detail["sizes"] == [784, 12, 10]

        pixels = digit_pixels()
        predicted = http.post(f"{base}/predict", json={"pixels": pixels}, timeout=TIMEOUT)
        assert predicted.status_code == 200
        assert predicted.headers["Content-Type"] == "application/json"
        expected = load_network(first).predict(np.asarray([pixels], dtype=np.float32))
        assert predicted.json()["predicted_digit"] == int(expected.digits[0])

        batch = http.post(
            f"{base}/predict", json={"batch": [pixels, pixels]}, timeout=TIMEOUT
        ).json()
        assert len(batch["predictions"]) == 2

        layers = http.post(
            f"{base}/activations", json={"pixels": pixels, "model": second.name}, timeout=TIMEOUT
        ).json()
        assert [len(values) for values in layers["layers"]] == [784, 12, 10]

        weights = http.get(f"{base}/models/{first.name}/weights?layer=0", timeout=TIMEOUT).json()
        assert np.asarray(weights["weights"]).shape == (16, 784)

        image = Image.new("L", (140, 140), 255)
        image.paste(0, (60, 20, 80, 120))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        upload = http.post(
            f"{base}/predict/image",
            files={"image": ("one.png", buffer.getvalue(), "image/png")},
            timeout=TIMEOUT,
        )
        assert upload.status_code == 200
        assert len(upload.json()["pixels"]) == 784


def test_errors_over_http(
    live_server: LiveServer, registered_model: RegisteredModel, settings: Settings
) -> None:
    base = live_server.url
    bad = requests.post(
        f"{base}/predict",
        data=b"{oops",
        headers={"Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "malformed_json"
    short = requests.post(f"{base}/predict", json={"pixels": [0.5] * 10}, timeout=TIMEOUT)
    assert short.json()["error"]["fields"] == {"pixels": ["expected 784 numbers, got 10"]}
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20_000
    big = requests.post(f"{base}/predict", json={"pixels": [0.123456789] * 5000}, timeout=TIMEOUT)
    assert big.status_code == 413
    assert big.json()["error"]["code"] == "payload_too_large"
    missing = requests.get(f"{base}/nowhere", timeout=TIMEOUT)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_default_switch_without_restart(
    live_server: LiveServer, two_registered_models: tuple[RegisteredModel, ...]
) -> None:
    first, second = two_registered_models
    url = f"{live_server.url}/predict"
    body = {"pixels": digit_pixels()}
    with requests.Session() as http:
        assert http.post(url, json=body, timeout=TIMEOUT).json()["model"] == first.name
        make_default(second)  # what the admin action does
        assert http.post(url, json=body, timeout=TIMEOUT).json()["model"] == second.name
        make_default(first)
        assert http.post(url, json=body, timeout=TIMEOUT).json()["model"] == first.name


@pytest.mark.mnist
def test_original_javascript_example(
    live_server: LiveServer, registered_model: RegisteredModel
) -> None:
    """The original README's flow: fetch samples, post the first one's pixels, read the digit.

    const samples = await (await fetch(`${API}/mnist/samples?count=5`)).json();
    const res = await fetch(`${API}/predict`, {method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({pixels: samples.samples[0].pixels})});
    const {predicted_digit} = await res.json();
    """
    api = live_server.url
    samples = requests.get(f"{api}/mnist/samples?count=5", timeout=TIMEOUT).json()
    assert samples["count"] == 5
    first = samples["samples"][0]
    response = requests.post(
        f"{api}/predict",
        headers={"Content-Type": "application/json"},
        json={"pixels": first["pixels"]},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200
    predicted_digit = response.json()["predicted_digit"]
    assert predicted_digit in range(10)
    network = load_network(registered_model)
    assert predicted_digit == int(
        network.predict(np.asarray([first["pixels"]], dtype=np.float32)).digits[0]
    )


def test_cors(
    live_server: LiveServer, registered_model: RegisteredModel, settings: Settings
) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://frontend.example"]
    url = f"{live_server.url}/predict"
    preflight = requests.options(
        url,
        headers={
            "Origin": "https://frontend.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=TIMEOUT,
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://frontend.example"
    allowed = requests.post(
        url,
        json={"pixels": digit_pixels()},
        headers={"Origin": "https://frontend.example"},
        timeout=TIMEOUT,
    )
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://frontend.example"
    other = requests.post(
        url,
        json={"pixels": digit_pixels()},
        headers={"Origin": "https://elsewhere.example"},
        timeout=TIMEOUT,
    )
    assert "Access-Control-Allow-Origin" not in other.headers


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def fast_server(transactional_db: None) -> Iterator[tuple[str, PredictFastPath]]:
    """`PredictFastPath` in front of Django, served over real HTTP by wsgiref in a thread."""
    app = PredictFastPath(WSGIHandler())
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)

    def serve() -> None:
        try:
            server.serve_forever()
        finally:  # the thread's database connection, or PostgreSQL keeps the test database busy
            connections.close_all()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def test_fast_path_over_http(
    fast_server: tuple[str, PredictFastPath],
    live_server: LiveServer,
    two_registered_models: tuple[RegisteredModel, ...],
) -> None:
    base, app = fast_server
    _, second = two_registered_models
    body = {"pixels": digit_pixels()}
    fast = requests.post(f"{base}/predict", json=body, timeout=TIMEOUT)
    plain = requests.post(f"{live_server.url}/predict", json=body, timeout=TIMEOUT)
    assert fast.status_code == plain.status_code == 200
    assert fast.content == plain.content
    assert app.served == 1
    make_default(second)
    assert (
        requests.post(f"{base}/predict", json=body, timeout=TIMEOUT).json()["model"] == second.name
    )
    error = requests.post(f"{base}/predict", json={"pixels": [2] * 784}, timeout=TIMEOUT)
    assert error.status_code == 400
    assert error.json()["error"]["fields"]["pixels"]
    assert app.served == 2
