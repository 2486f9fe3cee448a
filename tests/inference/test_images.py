"""Decoding uploaded images: formats, alpha, polarity kept, limits, and garbage refused."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from api.errors import ApiError
from inference.images import MAX_SIDE, decode_data_url, decode_image


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _stroke(
    mode: str, background: object, ink: object, size: tuple[int, int] = (60, 40)
) -> Image.Image:
    image = Image.new(mode, size, background)  # type: ignore[arg-type]
    for y in range(5, 35):
        for x in range(28, 32):
            image.putpixel((x, y), ink)  # type: ignore[arg-type]
    return image


def test_grayscale_png_keeps_its_polarity() -> None:
    dark_on_light = decode_image(_png(_stroke("L", 255, 0)))
    assert dark_on_light.shape == (40, 60)
    assert dark_on_light[20, 30] == 0.0
    assert dark_on_light[0, 0] == 255.0
    light_on_dark = decode_image(_png(_stroke("L", 0, 255)))
    assert light_on_dark[20, 30] == 255.0


def test_rgb_jpeg_is_decoded() -> None:
    buffer = io.BytesIO()
    _stroke("RGB", (255, 255, 255), (0, 0, 0)).save(buffer, format="JPEG", quality=95)
    gray = decode_image(buffer.getvalue())
    assert gray[20, 30] < 60
    assert gray[0, 0] > 200


@pytest.mark.parametrize("ink", [(0, 0, 0, 255), (255, 255, 255, 255), (200, 30, 30, 255)])
def test_ink_on_transparent_background_becomes_dark_on_light(ink: tuple[int, ...]) -> None:
    gray = decode_image(_png(_stroke("RGBA", (0, 0, 0, 0), ink)))
    assert gray[20, 30] == 0.0  # opaque ink, whatever its colour
    assert gray[0, 0] == 255.0  # transparent background


def test_opaque_rgba_uses_luminance() -> None:
    gray = decode_image(_png(_stroke("RGBA", (255, 255, 255, 255), (0, 0, 0, 255))))
    assert gray[20, 30] == 0.0
    assert gray[0, 0] == 255.0


def test_palette_png_is_decoded() -> None:
    gray = decode_image(_png(_stroke("L", 255, 0).convert("P")))
    assert gray[20, 30] == 0.0


def test_16_bit_png_is_scaled_to_255() -> None:
    image = Image.fromarray(np.full((10, 10), 65535, dtype=np.uint16))
    assert decode_image(_png(image)).max() == pytest.approx(255.0)


@pytest.mark.parametrize(
    "data",
    [b"not an image", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"GIF89a" + b"\x00" * 20],
)
def test_undecodable_bytes_are_400(data: bytes) -> None:
    with pytest.raises(ApiError) as info:
        decode_image(data)
    assert (info.value.status_code, info.value.code) == (400, "invalid_input")
    assert "image" in info.value.fields


def test_truncated_png_is_400() -> None:
    data = _png(Image.effect_noise((64, 64), 50))
    with pytest.raises(ApiError) as info:
        decode_image(data[: len(data) // 2])
    assert info.value.code == "invalid_input"


def test_empty_file_is_400() -> None:
    with pytest.raises(ApiError) as info:
        decode_image(b"")
    assert info.value.fields == {"image": ["the image is empty"]}


@pytest.mark.parametrize("side", [5000, 20000])
def test_decompression_bomb_is_refused_before_decoding(side: int) -> None:
    # A 1-bit PNG of side x side compresses to a few KB but would decode to 25 M / 400 M pixels
    # (the second is even above Pillow's own bomb limit).
    bomb = _png(Image.new("1", (side, side), 0))
    assert len(bomb) < 200_000
    with pytest.raises(ApiError) as info:
        decode_image(bomb)
    assert (info.value.status_code, info.value.code) == (413, "payload_too_large")


def test_very_long_side_is_refused() -> None:
    with pytest.raises(ApiError) as info:
        decode_image(_png(Image.new("L", (MAX_SIDE + 1, 1), 0)))
    assert info.value.status_code == 413


def test_file_over_the_byte_limit_is_413(settings: object) -> None:
    settings.HIPPO_MAX_IMAGE_BYTES = 100  # type: ignore[attr-defined]
    with pytest.raises(ApiError) as info:
        decode_image(_png(Image.effect_noise((64, 64), 50)))
    assert info.value.status_code == 413


def test_data_url_round_trip() -> None:
    data = _png(_stroke("L", 255, 0))
    url = "data:image/png;base64," + base64.b64encode(data).decode()
    assert decode_data_url(url) == data


@pytest.mark.parametrize(
    "value",
    [
        "iVBORw0KGgo=",  # no data: prefix
        "data:image/png,iVBORw0KGgo=",  # not base64
        "data:image/png;base64,@@@@",
        "data:text/plain;base64,aGVsbG8=",
        12,
    ],
)
def test_bad_data_urls_are_400(value: object) -> None:
    with pytest.raises(ApiError) as info:
        decode_data_url(value)
    assert (info.value.status_code, info.value.code) == (400, "invalid_input")
    assert "image" in info.value.fields


def test_oversized_data_url_is_413(settings: object) -> None:
    settings.HIPPO_MAX_IMAGE_BYTES = 30  # type: ignore[attr-defined]
    with pytest.raises(ApiError) as info:
        decode_data_url("data:image/png;base64," + "A" * 100)
    assert info.value.status_code == 413
