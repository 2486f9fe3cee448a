"""The main flows over real HTTP against a live server (requests), including the original API's
JavaScript example and the default switch."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
import requests
from PIL import Image
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from registry.models import RegisteredModel
from registry.services import load_network, make_default
from tests.api.helpers import digit_pixels

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 10
SWITCH_DEADLINE = 30
"""Seconds: generous for a loaded machine, short enough to report a server that never switches."""


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
    """The admin's default switch reaches the running server, for good, with no restart.

    The row is reused for at most half a second (RowCache; its timing is tested with a fake clock
    in tests/inference/test_row_cache.py). Over real HTTP on a loaded machine only the behaviour
    is checked: the new default is served, and once it is, never the old one again. The deadline
    only catches a server that never switches.
    """
    first, second = two_registered_models
    url = f"{live_server.url}/predict"
    body = {"pixels": digit_pixels()}
    with requests.Session() as http:
        assert http.post(url, json=body, timeout=TIMEOUT).json()["model"] == first.name
        for entry in (second, first):
            make_default(entry)  # what the admin action does
            deadline = time.monotonic() + SWITCH_DEADLINE
            while (model := http.post(url, json=body, timeout=TIMEOUT).json()["model"]) != (
                entry.name
            ):
                assert model in (first.name, second.name)
                assert time.monotonic() < deadline, "the new default is never served"
                time.sleep(0.02)
            served = [http.post(url, json=body, timeout=TIMEOUT).json()["model"] for _ in range(5)]
            assert served == [entry.name] * 5, "the old default came back"


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
