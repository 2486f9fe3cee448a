"""`POST /predict`: one image, a batch, a named model, and the original API's response shape."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from inference.network_cache import get_network_cache
from registry.models import RegisteredModel
from registry.services import load_network
from tests.api.helpers import assert_error, digit_pixels, pixels_of, post_json

pytestmark = pytest.mark.django_db


def _expected(entry: RegisteredModel, pixels: list[float]) -> np.ndarray:
    network = load_network(entry)
    probabilities: np.ndarray = network.predict(
        np.asarray([pixels], dtype=np.float32)
    ).probabilities
    return np.asarray(probabilities[0])


def test_predict_one_image(client: Client, registered_model: RegisteredModel) -> None:
    pixels = digit_pixels()
    response = post_json(client, "/predict", {"pixels": pixels})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"predicted_digit", "confidence", "probabilities", "model"}
    expected = _expected(registered_model, pixels)
    np.testing.assert_allclose(body["probabilities"], expected, rtol=1e-6)
    assert body["predicted_digit"] == int(np.argmax(expected))
    assert body["confidence"] == pytest.approx(float(expected.max()))
    assert sum(body["probabilities"]) == pytest.approx(1.0, abs=1e-5)
    assert body["model"] == registered_model.name


def test_integers_are_numbers(client: Client, registered_model: RegisteredModel) -> None:
    pixels: list[float] = [0] * 784
    pixels[400] = 1
    assert post_json(client, "/predict", {"pixels": pixels}).status_code == 200


def test_named_model(
    client: Client, two_registered_models: tuple[RegisteredModel, RegisteredModel]
) -> None:
    first, second = two_registered_models
    pixels = digit_pixels()
    default = post_json(client, "/predict", {"pixels": pixels}).json()
    named = post_json(client, "/predict", {"pixels": pixels, "model": second.name}).json()
    explicit_null = post_json(client, "/predict", {"pixels": pixels, "model": None}).json()
    assert default["model"] == first.name == explicit_null["model"]
    assert named["model"] == second.name
    np.testing.assert_allclose(named["probabilities"], _expected(second, pixels), rtol=1e-6)


def test_batch(client: Client, registered_model: RegisteredModel) -> None:
    batch = [digit_pixels(), pixels_of(0.0), pixels_of(1.0)]
    response = post_json(client, "/predict", {"batch": batch})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"predictions", "model"}
    assert body["model"] == registered_model.name
    assert len(body["predictions"]) == 3
    network = load_network(registered_model)
    expected = network.predict(np.asarray(batch, dtype=np.float32))
    for row, prediction in enumerate(body["predictions"]):
        assert set(prediction) == {"predicted_digit", "confidence", "probabilities"}
        assert prediction["predicted_digit"] == int(expected.digits[row])
        np.testing.assert_allclose(
            prediction["probabilities"], expected.probabilities[row], rtol=1e-6
        )


def test_batch_up_to_the_limit(
    client: Client, registered_model: RegisteredModel, settings: SettingsWrapper
) -> None:
    settings.HIPPO_PREDICT_BATCH_LIMIT = 4
    ok = post_json(client, "/predict", {"batch": [pixels_of(0.1)] * 4})
    assert ok.status_code == 200
    assert len(ok.json()["predictions"]) == 4
    over = post_json(client, "/predict", {"batch": [pixels_of(0.1)] * 5})
    error = assert_error(over, 413, "payload_too_large")
    assert "limit is 4" in error["message"]
    assert "batch" in error["fields"]


def test_default_batch_limit_is_1000(client: Client, registered_model: RegisteredModel) -> None:
    row = "[" + ",".join(["0.5"] * 784) + "]"
    body = '{"batch": [' + ",".join([row] * 1000) + "]}"
    response = post_json(client, "/predict", body)
    assert response.status_code == 200
    assert len(response.json()["predictions"]) == 1000
    over = '{"batch": [' + ",".join([row] * 1001) + "]}"
    assert_error(post_json(client, "/predict", over), 413, "payload_too_large")


def test_network_is_loaded_once(client: Client, registered_model: RegisteredModel) -> None:
    for _ in range(5):
        assert post_json(client, "/predict", {"pixels": digit_pixels()}).status_code == 200
    cache = get_network_cache()
    assert cache.stats().loads == 1
    assert list(cache.loads_per_key.values()) == [1]


def test_no_default_model(client: Client, model_store: object, db: None) -> None:
    error = assert_error(post_json(client, "/predict", {"pixels": digit_pixels()}), 404)
    assert error["code"] == "no_default_model"


def test_unknown_model(client: Client, registered_model: RegisteredModel) -> None:
    response = post_json(client, "/predict", {"pixels": digit_pixels(), "model": "nope"})
    error = assert_error(response, 404, "model_not_found")
    assert "model" in error["fields"]


def test_disabled_model(client: Client, registered_model: RegisteredModel) -> None:
    RegisteredModel.objects.filter(pk=registered_model.pk).update(enabled=False)
    response = post_json(client, "/predict", {"pixels": digit_pixels()})
    assert_error(response, 409, "model_unavailable")


def test_broken_model_file(client: Client, registered_model: RegisteredModel) -> None:
    """A file that no longer matches its checksum: 409, and the row is marked broken."""
    path = model_path(registered_model)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    response = post_json(client, "/predict", {"pixels": digit_pixels()})
    error = assert_error(response, 409, "model_unavailable")
    assert "broken" in error["message"]
    registered_model.refresh_from_db()
    assert registered_model.status == "broken"
    # Later requests keep answering 409 without trying to load it again.
    assert_error(post_json(client, "/predict", {"pixels": digit_pixels()}), 409)


def model_path(entry: RegisteredModel) -> Path:
    from registry.services import store_for

    path = store_for(entry).fetch(entry.filename, entry.revision)
    # Break the stored file itself (not a copy), wherever the store keeps it.
    return path.resolve()


def test_response_is_compact_json(client: Client, registered_model: RegisteredModel) -> None:
    content = post_json(client, "/predict", {"pixels": digit_pixels()}).content
    assert b": " not in content
    assert json.loads(content)["model"] == registered_model.name
