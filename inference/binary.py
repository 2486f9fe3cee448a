"""Pixel batches sent as raw bytes: `application/octet-stream` and `application/x-npy` bodies.

For clients that send many images, JSON is the slow part (parsing 784,000 numbers takes ~60 ms;
the forward pass of 1,000 images ~1 ms). Two binary forms skip it:

- `application/octet-stream`: n x 784 uint8 pixels, row-major (image after image, row after row),
  0 = background, 255 = ink.
- `application/x-npy`: one NumPy `.npy` array of shape (n, 784) or (n, 28, 28), dtype uint8
  (0..255) or float32 (0..1). The header is read and checked first (dtype, shape, image count,
  and that the body holds exactly the bytes it declares), so a header claiming a huge array
  allocates nothing; the data is then read with `allow_pickle=False`: nothing is ever unpickled.

Both become an `(n, 784)` float32 array in 0..1, with `1 <= n <= HIPPO_PREDICT_BATCH_LIMIT`.
Every problem is a 400 `invalid_input` naming the body (`fields: {"body": [...]}`), except too
many images, which is a 413 like a JSON batch over the limit.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from numpy.lib import format as npy_format

from api.errors import invalid_input, payload_too_large
from api.parsers import BODY_FIELD as FIELD
from nn_core.arrays import FloatArray
from nn_core.constants import IMAGE_SIDE, INPUT_SIZE

IMAGE_SHAPE = (IMAGE_SIDE, IMAGE_SIDE)
ACCEPTED_DTYPES = (np.dtype(np.uint8), np.dtype(np.float32))


@dataclass(frozen=True)
class PixelBatch:
    """A batch of images read from a binary body: `pixels` is `(n, 784)` float32 in 0..1."""

    pixels: FloatArray
    media_type: str


def _limit() -> int:
    return int(settings.HIPPO_PREDICT_BATCH_LIMIT)


def _check_count(count: int) -> None:
    if count < 1:
        raise invalid_input({FIELD: ["must hold at least one image"]})
    if count > _limit():
        message = f"holds {count} images; the limit is {_limit()}"
        raise payload_too_large(f"The batch {message}.", FIELD)


def _from_uint8(pixels: np.ndarray[Any, Any]) -> FloatArray:
    scaled: FloatArray = pixels.reshape(-1, INPUT_SIZE).astype(np.float32)
    scaled *= np.float32(1 / 255)
    return scaled


def batch_from_octets(body: bytes) -> PixelBatch:
    """Read n x 784 uint8 pixels (row-major) as a batch.

    Raises:
        ApiError: `invalid_input` when the length is not a positive multiple of 784, 413 over
            the batch limit.
    """
    count, rest = divmod(len(body), INPUT_SIZE)
    if rest or not body:
        raise invalid_input(
            {
                FIELD: [
                    f"expected n x {INPUT_SIZE} bytes (uint8 pixels, row-major), "
                    f"got {len(body)} bytes"
                ]
            }
        )
    _check_count(count)
    pixels = np.frombuffer(body, dtype=np.uint8)
    return PixelBatch(_from_uint8(pixels), "application/octet-stream")


def _read_header(stream: io.BytesIO) -> tuple[tuple[int, ...], bool, np.dtype[Any]]:
    """The `.npy` header's shape, Fortran order and dtype, or `invalid_input`."""
    try:
        version = npy_format.read_magic(stream)
        if version == (1, 0):
            return npy_format.read_array_header_1_0(stream)
        if version in ((2, 0), (3, 0)):
            return npy_format.read_array_header_2_0(stream)
    except (ValueError, SyntaxError, TypeError, EOFError, OSError) as exc:
        raise invalid_input({FIELD: [f"not a valid .npy file: {exc}"]}) from None
    raise invalid_input({FIELD: [f"unsupported .npy version {version[0]}.{version[1]}"]})


def batch_from_npy(body: bytes) -> PixelBatch:
    """Read a `.npy` array of shape (n, 784) or (n, 28, 28), uint8 or float32, as a batch.

    Raises:
        ApiError: `invalid_input` naming what is wrong (not `.npy`, dtype, shape, truncated or
            trailing bytes, values outside 0..1), 413 over the batch limit.
    """
    stream = io.BytesIO(body)
    shape, fortran_order, dtype = _read_header(stream)
    if dtype.hasobject or dtype.kind not in "uf" or dtype.newbyteorder("=") not in ACCEPTED_DTYPES:
        raise invalid_input({FIELD: [f"dtype must be uint8 or float32, got {dtype.str}"]})
    if not (
        (len(shape) == 2 and shape[1] == INPUT_SIZE)
        or (len(shape) == 3 and tuple(shape[1:]) == IMAGE_SHAPE)
    ):
        shapes = f"(n, {INPUT_SIZE}) or (n, {IMAGE_SIDE}, {IMAGE_SIDE})"
        raise invalid_input({FIELD: [f"shape must be {shapes}, got {tuple(shape)}"]})
    count = int(shape[0])
    _check_count(count)
    expected = count * INPUT_SIZE * dtype.itemsize
    available = len(body) - stream.tell()
    if available != expected:
        what = "truncated" if available < expected else "has trailing bytes"
        raise invalid_input(
            {FIELD: [f"the array is {what}: expected {expected} data bytes, got {available}"]}
        )
    try:
        array = np.load(io.BytesIO(body), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:  # checked above; kept for safety
        raise invalid_input({FIELD: [f"not a valid .npy file: {exc}"]}) from None
    if not isinstance(array, np.ndarray):
        raise invalid_input({FIELD: ["expected one .npy array"]})
    del fortran_order  # np.load honours it; the values come out in C order either way
    if array.dtype.kind == "u":
        return PixelBatch(_from_uint8(np.ascontiguousarray(array)), "application/x-npy")
    pixels: FloatArray = np.ascontiguousarray(array.reshape(count, INPUT_SIZE), dtype=np.float32)
    inside = (pixels >= 0.0) & (pixels <= 1.0)  # NaN fails both
    if not inside.all():
        row, column = divmod(int(np.flatnonzero(~inside.ravel())[0]), INPUT_SIZE)
        raise invalid_input(
            {
                FIELD: [
                    f"float32 pixels must be in 0..1; item {row}, pixel {column} is "
                    f"{float(pixels[row, column])!r}"
                ]
            }
        )
    return PixelBatch(pixels, "application/x-npy")
