"""Large images are decoded cheaply, and at most `HIPPO_IMAGE_DECODERS` at once per process.

A 4096 x 4096 PNG (within the limits) is shrunk before any per-pixel work, so the network sees the
same pixels as for the digit drawn at 512 pixels; when every decoding slot is taken, another large
image is answered 503 `busy` at once (small drawings are never held up).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import pytest
from django.test import Client
from PIL import Image

from inference import images
from inference.images import WORKING_SIDE, decode_image, reset_decoding_slots
from inference.services import image_to_pixels
from registry.models import RegisteredModel
from tests.api.helpers import assert_error
from tests.api.test_predict_image import seven, upload

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_decoder(settings: Settings) -> Iterator[None]:
    settings.HIPPO_IMAGE_DECODERS = 1
    reset_decoding_slots()
    yield
    reset_decoding_slots()


def jpeg(png: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


@pytest.mark.parametrize("encode", [lambda png: png, jpeg], ids=["png", "jpeg"])
def test_a_4096_pixel_image_is_shrunk_before_per_pixel_work(encode: object) -> None:
    big = encode(seven(4096))  # type: ignore[operator]
    gray = decode_image(big)
    assert max(gray.shape) <= 2 * WORKING_SIDE
    assert gray.dtype == np.float32


def test_the_network_sees_the_same_digit_at_any_size() -> None:
    small = image_to_pixels(seven(WORKING_SIDE))
    large = image_to_pixels(seven(4096))
    assert float(np.abs(small - large).mean()) < 0.02
    assert float(np.abs(small - large).max()) < 0.35


def test_a_large_image_beyond_the_decoders_is_busy_at_once(
    client: Client, registered_model: RegisteredModel, one_decoder: None
) -> None:
    big = seven(2048)
    slots = images._decoding_slots()
    assert slots.acquire(timeout=1)  # another request is decoding a large image
    try:
        response = upload(client, big)
        error = assert_error(response, 503, "busy")
        assert "image" in error["fields"]
        assert response["Retry-After"] == "1"
        assert upload(client, seven()).status_code == 200  # small drawings are not held up
    finally:
        slots.release()
    assert upload(client, big).status_code == 200


# --- multipart fields -----------------------------------------------------------------------------


def test_every_multipart_field_is_limited_and_named(
    client: Client, registered_model: RegisteredModel
) -> None:
    long_name = "m" * 3_000_000
    response = upload(client, seven(), model=long_name)
    error = assert_error(response, 400, "invalid_input")
    assert set(error["fields"]) == {"model"}
    assert len(response.content) < 2000  # the name is not echoed back
    error = assert_error(upload(client, seven(), colour="red"), 400, "invalid_input")
    assert set(error["fields"]) == {"colour"}
    error = assert_error(upload(client, seven(), model="a\x00b"), 400, "invalid_input")
    assert set(error["fields"]) == {"model"}  # the JSON bodies' own rule: no NUL characters
    named = upload(client, seven(), model=registered_model.name)
    assert named.status_code == 200
    assert named.json()["model"] == registered_model.name


def test_a_multipart_parse_error_is_named_as_such(
    client: Client, registered_model: RegisteredModel
) -> None:
    response = client.post(
        "/predict/image",
        data=b"--nope\r\nContent-Disposition: form-data; name=image\r\n\r\nx",
        content_type="multipart/form-data",  # no boundary
    )
    error = assert_error(response, 400, "malformed_multipart")
    assert "multipart" in error["message"]
