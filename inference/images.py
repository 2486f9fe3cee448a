"""Decoding of uploaded digit images (PNG/JPEG, any size, either polarity) into grayscale arrays.

Pillow decodes; this module guards the decoder (byte and pixel limits, so a decompression bomb is
refused before its pixels are allocated), flattens alpha, and hands a 2-D grayscale array to
`nn_core.preprocessing.normalize_digit`, which does the MNIST-style normalisation in NumPy.

Large images are made cheap before any per-pixel work: a JPEG is decoded at a reduced scale
(`Image.draft`, the DCT does the shrinking), any other image is shrunk by an integer factor
(`Image.reduce`, a box filter on the decoded bytes) to at most `WORKING_SIDE` pixels a side before
it is flattened and converted to floats. The digit is scaled to 20 pixels anyway, so nothing the
network sees is lost, and a 4096 x 4096 PNG costs a fraction of what it did.

Large images (over `LARGE_IMAGE_PIXELS`) are decoded in a separate process, never on a serving
thread: measured, a 4096 x 4096 PNG holds the GIL for most of its ~60-100 ms of decoding (Pillow's
PNG path), so a decode on a serving thread made every other request of that worker wait for the
GIL in 5 ms steps (8 clients posting such images cut `POST /predict` from ~1,300 to 35-290 req/s,
`bench/image_fairness.py`). Each serving process starts at most `HIPPO_IMAGE_DECODERS` decoder
processes (spawned on first use, at a lower CPU priority, so the kernel serves small requests
first), and admits large images two ways, both answered 503 `busy` with `Retry-After` at once
instead of queueing: at most `HIPPO_IMAGE_DECODERS_PER_CLIENT` in flight per client address (the
address every per-client limit uses, `api.clients.client_address`), and at most
`HIPPO_IMAGE_DECODERS` in all. A request waiting for its decoder holds one serving thread, so the
decoders must stay fewer than `HIPPO_THREADS`: the other threads keep answering small requests.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import math
import multiprocessing
import os
import re
import threading
import warnings
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

import numpy as np
import numpy.typing as npt
from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from api.errors import ApiError, invalid_input, payload_too_large
from inference.request_bodies import model_name

ACCEPTED_FORMATS = ("PNG", "JPEG")
MAX_IMAGE_PIXELS = 4096 * 4096
"""Largest decoded image, in pixels (64 MB as RGBA): far beyond any drawing, far below a bomb."""
MAX_SIDE = 8192
WORKING_SIDE = 512
"""Images are shrunk to at most this many pixels a side before any per-pixel work."""
LARGE_IMAGE_PIXELS = 1024 * 1024
"""Images above this many pixels are decoded by a decoder process, taking one of its slots."""
DECODE_TIMEOUT = 30.0
"""Seconds a request waits for its decoder process (a 4096 x 4096 PNG takes ~0.1 s; the first
image of a process also waits for its decoder to start, ~1 s)."""
DECODER_NICENESS = 10
"""How much lower the decoder processes' CPU priority is than the serving threads' (`nice`)."""

_DATA_URL = re.compile(
    r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?:;[\w.+-]+=[\w.+-]+)*;base64,", re.ASCII
)
_TRANSPARENT_SHARE = 0.5
"""Above this share of transparent pixels the background is transparent and alpha is the ink."""


def max_image_bytes() -> int:
    """The largest image file accepted, in bytes (`HIPPO_MAX_IMAGE_BYTES`)."""
    return int(settings.HIPPO_MAX_IMAGE_BYTES)


def decode_data_url(value: object, field: str = "image") -> bytes:
    """Return the bytes of a `data:image/...;base64,` URL.

    Raises:
        ApiError: `invalid_input` when the value is not a base64 data URL, `payload_too_large`
            when the encoded image is bigger than `HIPPO_MAX_IMAGE_BYTES`.
    """
    if not isinstance(value, str):
        raise invalid_input({field: ["expected a data: URL string (data:image/png;base64,...)"]})
    match = _DATA_URL.match(value)
    if match is None:
        raise invalid_input(
            {field: ["expected a data: URL with base64 content (data:image/png;base64,...)"]}
        )
    mime = match.group("mime")
    if mime is not None and not mime.startswith("image/"):
        raise invalid_input({field: [f"expected an image, got {mime}"]})
    encoded = value[match.end() :]
    limit = max_image_bytes()
    if len(encoded) * 3 // 4 > limit:
        raise payload_too_large(f"The image is larger than {limit} bytes.", field)
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise invalid_input({field: ["the data: URL does not hold valid base64"]}) from None


MULTIPART_FIELDS: dict[str, bool] = {"model": False, "image": True}
"""Fields of a multipart `/predict/image` request, each True for a file and False for text."""


def multipart_model(form: object) -> str | None:
    """The `model` field of a multipart form, after checking which fields the form holds.

    `model` is checked by the same DRF field as in JSON bodies
    (`inference.request_bodies.model_name`: its length, no NUL characters).

    Raises:
        ApiError: `invalid_input` naming an unknown, repeated or mistyped field, or a bad `model`.
    """
    fields: dict[str, list[str]] = {}
    lists = getattr(form, "lists", None)
    items = list(lists()) if callable(lists) else []
    for name, values in items:
        if name not in MULTIPART_FIELDS:
            fields[str(name)[:64]] = [f"unknown field; expected {', '.join(MULTIPART_FIELDS)}"]
            continue
        if MULTIPART_FIELDS[name]:
            if any(isinstance(value, str) for value in values):
                fields[name] = ["expected a file (a PNG or JPEG image), not text"]
        elif any(not isinstance(value, str) for value in values):
            fields[name] = ["expected text, not a file"]
        if name not in fields and len(values) > 1:
            fields[name] = ["given more than once"]
    if fields:
        raise invalid_input(fields)
    model = form.get("model") if hasattr(form, "get") else None
    return model_name({"model": model}) if model else None


def _open(data: bytes, field: str) -> Image.Image:
    """Open (header only) and check the size before any pixel is decoded."""
    if not data:
        raise invalid_input({field: ["the image is empty"]})
    if len(data) > max_image_bytes():
        raise payload_too_large(f"The image is larger than {max_image_bytes()} bytes.", field)
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError:
        raise invalid_input({field: ["not a PNG or JPEG image"]}) from None
    except Image.DecompressionBombError:
        # Pillow refuses far beyond our own limit while reading the header (> 179 M pixels).
        raise payload_too_large("The image has too many pixels.", field) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise invalid_input(
            {field: [f"the image cannot be decoded ({type(exc).__name__})"]}
        ) from None
    width, height = image.size
    if width < 1 or height < 1:
        raise invalid_input({field: ["the image has no pixels"]})
    if width * height > MAX_IMAGE_PIXELS or max(width, height) > MAX_SIDE:
        raise payload_too_large(
            f"The image is {width}x{height} pixels; the limit is {MAX_IMAGE_PIXELS} pixels "
            f"and {MAX_SIDE} per side.",
            field,
        )
    return image


_slots: threading.BoundedSemaphore | None = None
_slots_lock = threading.Lock()
_per_client: Counter[str] = Counter()
"""Large images being decoded per client address, in this process (under `_slots_lock`)."""
_pool: ProcessPoolExecutor | None = None


def _decoding_slots() -> threading.BoundedSemaphore:
    global _slots
    if _slots is None:
        with _slots_lock:
            if _slots is None:
                _slots = threading.BoundedSemaphore(decoders())
    return _slots


def decoders() -> int:
    """Large images decoded at once by this process (`HIPPO_IMAGE_DECODERS`, at least 1)."""
    return max(1, int(settings.HIPPO_IMAGE_DECODERS))


def reset_decoding_slots() -> None:
    """Forget the semaphore and the decoder processes (tests; new settings apply on next use)."""
    global _slots, _pool
    with _slots_lock:
        _slots = None
        _per_client.clear()
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def _busy(field: str, message: str) -> ApiError:
    return ApiError(503, "busy", message, {field: [message]}, retry_after=1)


def _client_busy(field: str, limit: int) -> ApiError:
    # 429, not 503: the server has room, this client has used its share (the other clients'
    # large images are still decoded).
    message = (
        f"This client already has {limit} large image(s) being decoded; send large images one "
        f"after another, or images of at most {LARGE_IMAGE_PIXELS} pixels."
    )
    return ApiError(429, "too_many_images", message, {field: [message]}, retry_after=1)


def _per_client_limit() -> int:
    return max(1, int(settings.HIPPO_IMAGE_DECODERS_PER_CLIENT))


def refuse_busy_client(client: str, field: str = "image") -> None:
    """Refuse an image request at once while its client has its share of large images in flight.

    Called before the body is read: a client flooding with large images gets its excess refused
    for the cost of reading headers, not of parsing a multipart body and an image header each time
    (measured: refusals after parsing cost the small requests of other clients a third of their
    throughput). Its small images wait until its large ones are done, too.

    Raises:
        ApiError: 503 `busy` with `Retry-After: 1`.
    """
    limit = _per_client_limit()
    if _per_client.get(client, 0) >= limit:  # a read of a dict: no lock needed
        raise _client_busy(field, limit)


@contextmanager
def _client_slot(client: str | None, field: str) -> Iterator[None]:
    """Count a large image against its client; refuse it beyond the client's share."""
    if client is None:
        yield
        return
    limit = _per_client_limit()
    with _slots_lock:
        refused = _per_client[client] >= limit
        if not refused:
            _per_client[client] += 1
    if refused:
        raise _client_busy(field, limit)
    try:
        yield
    finally:
        with _slots_lock:
            _per_client[client] -= 1
            if _per_client[client] <= 0:
                del _per_client[client]


@contextmanager
def decoding_slot(image: Image.Image, field: str, client: str | None = None) -> Iterator[bool]:
    """Admit a large image (per client, then in all); yield whether `image` is large.

    Raises:
        ApiError: 503 `busy` when the client already has its share of large images in flight,
            or when every decoding slot is taken. Never waits: a request waiting for a slot would
            hold a serving thread, and eight of them held every thread of both workers
            (measured: small requests' p50 went from 3 to 200 ms).
    """
    width, height = image.size
    if width * height <= LARGE_IMAGE_PIXELS:
        yield False
        return
    with _client_slot(client, field):
        slots = _decoding_slots()
        if not slots.acquire(blocking=False):
            raise _busy(
                field,
                "The server is decoding other large images; try again shortly, or send an image "
                f"of at most {LARGE_IMAGE_PIXELS} pixels.",
            )
        try:
            yield True
        finally:
            slots.release()


def _lower_priority() -> None:
    """Initializer of a decoder process: run below the serving threads' CPU priority."""
    with contextlib.suppress(OSError):  # not permitted here: decode at the normal priority
        os.nice(DECODER_NICENESS)


def _decoder_pool() -> ProcessPoolExecutor:
    """This process's decoder processes, started on first use.

    Spawned, not forked: a gunicorn worker has threads (and maybe open database connections)
    that a forked child would inherit in whatever state they were in.
    """
    global _pool
    with _slots_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=decoders(),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_lower_priority,
            )
        return _pool


def _drop_pool(pool: ProcessPoolExecutor) -> None:
    """Forget a broken or stuck pool; the next large image starts a new one."""
    global _pool
    with _slots_lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def _decode_elsewhere(data: bytes, field: str) -> npt.NDArray[np.float32]:
    """`_decode_gray(data)` in a decoder process (its exceptions are raised here)."""
    pool = _decoder_pool()
    try:
        future = pool.submit(_decode_gray, data)
        return future.result(timeout=DECODE_TIMEOUT)
    except (BrokenProcessPool, FutureTimeout):
        # A decoder died (killed, out of memory) or hangs: a fresh pool for the next image.
        _drop_pool(pool)
        raise _busy(field, "The image decoder was restarted; try again shortly.") from None


def _shrink(image: Image.Image) -> Image.Image:
    """Decode `image` at no more than about `WORKING_SIDE` pixels a side, as cheaply as possible."""
    largest = max(image.size)
    if largest > WORKING_SIDE and image.format == "JPEG":
        image.draft(image.mode, (WORKING_SIDE, WORKING_SIDE))  # scaled DCT decoding
    image.load()
    factor = math.ceil(max(image.size) / WORKING_SIDE)
    if factor <= 1:
        return image
    if image.mode in ("P", "1", "PA"):  # `reduce` needs pixel values, not palette indices
        image = image.convert("RGBA" if "transparency" in image.info or image.mode == "PA" else "L")
    return image.reduce(factor)


def _to_gray(image: Image.Image) -> npt.NDArray[np.float32]:
    """Flatten any mode to grayscale 0..255 (float32), turning transparency into a background.

    Drawings from a canvas are often ink on a transparent background, and the ink may be any
    colour. When most pixels are transparent, alpha itself is the ink (drawn dark on white);
    otherwise the image is composited on white and its luminance is used.
    """
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        values = np.asarray(image, dtype=np.float32)
        top = float(values.max()) if values.size else 0.0
        return values * (255.0 / top) if top > 255.0 else values
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32)
        if float(np.mean(alpha < 128)) > _TRANSPARENT_SHARE:
            return 255.0 - alpha
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return np.asarray(image.convert("L"), dtype=np.float32)


def _decode_gray(data: bytes) -> npt.NDArray[np.float32]:
    """Decode, shrink, orient and flatten an image already checked by `_open` (any process).

    Pillow's own exceptions propagate (the caller maps them): this runs in decoder processes too,
    which import this module without Django being set up.
    """
    with warnings.catch_warnings():
        # Pillow's DecompressionBombWarning is an error here; our own limit is far lower anyway.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        opened = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
        image = ImageOps.exif_transpose(_shrink(opened))
        return _to_gray(image)


def decode_image(
    data: bytes, field: str = "image", client: str | None = None
) -> npt.NDArray[np.float32]:
    """Decode PNG/JPEG bytes into a 2-D grayscale array (0 = black, 255 = white).

    Args:
        data: The file's bytes.
        field: The request field named in error messages.
        client: The client's address, for the per-client bound on large images (None: no
            per-client bound, e.g. outside a request).

    Returns:
        A `(height, width)` float32 array in 0..255, either polarity.

    Raises:
        ApiError: `invalid_input` for anything that is not a decodable PNG/JPEG image,
            `payload_too_large` for a file or an image above the limits, `busy` (503) when
            the client already has its share of large images being decoded, or every decoding
            slot is taken by other large images.
    """
    image = _open(data, field)
    try:
        with decoding_slot(image, field, client) as large:
            return _decode_elsewhere(data, field) if large else _decode_gray(data)
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombWarning) as exc:
        raise invalid_input(
            {field: [f"the image cannot be decoded ({type(exc).__name__})"]}
        ) from None
    except Image.DecompressionBombError:
        raise payload_too_large("The image has too many pixels.", field) from None


__all__ = ["ApiError", "decode_data_url", "decode_image", "max_image_bytes", "multipart_model"]
