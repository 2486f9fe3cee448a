"""Parsers of raw pixel batches: `application/octet-stream` and `application/x-npy` bodies.

Each turns the body into a `PixelBatch` (an `(n, 784)` float32 array in 0..1, checked by
`inference.binary`); the views of `POST /predict` and `POST /activations` accept it in place of a
JSON body. The framing (size limit, an empty body) is `api.parsers.RawBodyParser`'s.
"""

from __future__ import annotations

from api.parsers import RawBodyParser
from inference.binary import batch_from_npy, batch_from_octets
from nn_core.constants import IMAGE_SIDE, INPUT_SIZE


class OctetStreamParser(RawBodyParser):
    """`application/octet-stream`: n images of 784 uint8 pixels, row-major (n x 784 bytes)."""

    media_type = "application/octet-stream"
    expects = f"n x {INPUT_SIZE} bytes (uint8 pixels, row-major)"
    read = staticmethod(batch_from_octets)


class NpyParser(RawBodyParser):
    """`application/x-npy`: one `.npy` array, (n, 784) or (n, 28, 28), uint8 or float32.

    Nothing is ever unpickled (see `inference.binary.batch_from_npy`).
    """

    media_type = "application/x-npy"
    expects = f"one .npy array of shape (n, {INPUT_SIZE}) or (n, {IMAGE_SIDE}, {IMAGE_SIDE})"
    read = staticmethod(batch_from_npy)
