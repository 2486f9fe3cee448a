"""`POST /predict/image`: multipart uploads and data: URLs, any size, either polarity."""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image, ImageDraw
from pytest_django.fixtures import Settings

from registry.models import RegisteredModel
from registry.services import load_network
from tests.api.helpers import assert_error, post_json

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db


def seven(size: int = 280, ink: int = 0, background: int = 255) -> bytes:
    """A PNG of a hand-drawn-looking "7", `size` pixels square."""
    image = Image.new("L", (size, size), background)
    draw = ImageDraw.Draw(image)
    scale = size / 280
    width = max(1, int(22 * scale))
    draw.line([(70 * scale, 60 * scale), (210 * scale, 60 * scale)], fill=ink, width=width)
    draw.line([(210 * scale, 60 * scale), (120 * scale, 230 * scale)], fill=ink, width=width)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def upload(client: Client, png: bytes, **fields: str) -> TestResponse:
    file = SimpleUploadedFile("digit.png", png, content_type="image/png")
    return client.post("/predict/image", {"image": file, **fields})


def test_multipart_upload(client: Client, registered_model: RegisteredModel) -> None:
    response = upload(client, seven())
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"predicted_digit", "confidence", "probabilities", "model", "pixels"}
    assert body["model"] == registered_model.name
    pixels = np.asarray(body["pixels"])
    assert pixels.shape == (784,)
    assert pixels.min() >= 0.0
    assert pixels.max() <= 1.0
    image = pixels.reshape(28, 28)
    # MNIST's framing: ink bright on black, its bounding box fitted into 20x20.
    rows, columns = np.nonzero(image > 0.05)
    assert rows.max() - rows.min() < 21
    assert columns.max() - columns.min() < 21
    assert image.max() > 0.9
    assert image[0, 0] == 0.0
    # The prediction is the network's prediction of the pixels it reports.
    network = load_network(registered_model)
    expected = network.predict(pixels.astype(np.float32).reshape(1, -1)).probabilities[0]
    np.testing.assert_allclose(body["probabilities"], expected, rtol=1e-4, atol=1e-6)


def test_data_url(client: Client, registered_model: RegisteredModel) -> None:
    png = seven()
    by_url = post_json(client, "/predict/image", {"image": data_url(png)})
    assert by_url.status_code == 200
    by_upload = upload(client, png).json()
    assert by_url.json()["pixels"] == by_upload["pixels"]


def test_both_polarities_and_sizes_give_the_same_pixels(
    client: Client, registered_model: RegisteredModel
) -> None:
    dark_on_light = post_json(client, "/predict/image", {"image": data_url(seven())}).json()
    light_on_dark = post_json(
        client, "/predict/image", {"image": data_url(seven(ink=255, background=0))}
    ).json()
    np.testing.assert_allclose(dark_on_light["pixels"], light_on_dark["pixels"], atol=0.02)
    small = post_json(client, "/predict/image", {"image": data_url(seven(size=56))}).json()
    # A smaller drawing is normalised to nearly the same 28x28 image.
    assert np.abs(np.asarray(small["pixels"]) - np.asarray(dark_on_light["pixels"])).mean() < 0.08


def test_named_model(client: Client, two_registered_models: tuple[RegisteredModel, ...]) -> None:
    _, second = two_registered_models
    body = post_json(client, "/predict/image", {"image": data_url(seven()), "model": second.name})
    assert body.json()["model"] == second.name
    multipart = upload(client, seven(), model=second.name)
    assert multipart.json()["model"] == second.name


def test_blank_image(client: Client, registered_model: RegisteredModel) -> None:
    blank = Image.new("L", (100, 100), 255)
    buffer = io.BytesIO()
    blank.save(buffer, format="PNG")
    error = assert_error(upload(client, buffer.getvalue()), 400, "invalid_input")
    assert "blank" in error["fields"]["image"][0]


def test_not_an_image(client: Client, registered_model: RegisteredModel) -> None:
    error = assert_error(upload(client, b"GIF89a not really"), 400, "invalid_input")
    assert "image" in error["fields"]


def test_missing_file(client: Client, registered_model: RegisteredModel) -> None:
    response = client.post("/predict/image", {"model": registered_model.name})
    error = assert_error(response, 400, "invalid_input")
    assert "image" in error["fields"]


def test_image_over_the_byte_limit(
    client: Client, registered_model: RegisteredModel, settings: Settings
) -> None:
    settings.HIPPO_MAX_IMAGE_BYTES = 1000
    png = seven()
    assert len(png) > 1000
    assert_error(upload(client, png), 413, "payload_too_large")
    assert_error(
        post_json(client, "/predict/image", {"image": data_url(png)}), 413, "payload_too_large"
    )


def test_too_many_pixels(client: Client, registered_model: RegisteredModel) -> None:
    image = Image.new("1", (5000, 5000), 1)  # a 1-bit PNG: tiny file, 25 M pixels
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    error = assert_error(upload(client, buffer.getvalue()), 413, "payload_too_large")
    assert "pixels" in error["message"]


def test_unknown_model_is_reported_before_decoding(
    client: Client, registered_model: RegisteredModel
) -> None:
    response = post_json(
        client, "/predict/image", {"image": "data:image/png;base64,AAAA", "model": "nope"}
    )
    assert_error(response, 404, "model_not_found")


def test_wrong_content_type(client: Client, registered_model: RegisteredModel) -> None:
    response = client.post("/predict/image", data=seven(), content_type="image/png")
    assert_error(response, 415, "unsupported_media_type")
