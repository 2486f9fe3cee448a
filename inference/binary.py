"""Pixel batches sent as raw bytes: `application/octet-stream` and `application/x-npy` bodies.

For clients that send many images, JSON is the slow part (parsing 784,000 numbers takes ~60 ms;
the forward pass of 1,000 images ~1 ms). Two binary forms skip it:

- `application/octet-stream`: n x 784 uint8 pixels, row-major (image after image, row after row),
  0 = background, 255 = ink.
- `application/x-npy`: one NumPy `.npy` array of shape (n, 784) or (n, 28, 28), dtype uint8
  (0..255) or float32 (0..1). The header is read and checked first (its syntax, dtype, shape,
  image count, and that the body holds exactly the bytes it declares), so a header claiming a
  huge array allocates nothing; the data is then read as that plain dtype: nothing is ever
  unpickled. The header is parsed here, not by numpy, whose reader lets hostile headers escape
  as exceptions no caller expects (`tokenize.TokenError`, a `TypeError` for `(True, 784)`).

Both become an `(n, 784)` float32 array in 0..1, with `1 <= n <= HIPPO_PREDICT_BATCH_LIMIT`.
Every problem is a 400 `invalid_input` naming the body (`fields: {"body": [...]}`), except too
many images, which is a 413 like a JSON batch over the limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings

from api.errors import ApiError, invalid_input, payload_too_large
from api.parsers import BODY_FIELD as FIELD
from nn_core.arrays import FloatArray
from nn_core.constants import IMAGE_SIDE, INPUT_SIZE

IMAGE_SHAPE = (IMAGE_SIDE, IMAGE_SIDE)
ACCEPTED_DTYPES = (np.dtype(np.uint8), np.dtype(np.float32))
NPY_MAGIC = b"\x93NUMPY"
HEADER_LENGTH_BYTES = {(1, 0): 2, (2, 0): 4, (3, 0): 4}
"""Bytes of the little-endian header length, per `.npy` format version."""
MAX_HEADER_BYTES = 4096
"""Longest header read. numpy writes ~120 bytes for these shapes; its own reader allows 10,000."""
HEADER_KEYS = frozenset({"descr", "fortran_order", "shape"})


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


def _not_npy(reason: str) -> ApiError:
    """The 400 for a body that is not a `.npy` file this API reads, saying why."""
    return invalid_input({FIELD: [f"not a valid .npy file: {reason}"]})


@dataclass(frozen=True)
class NpyHeader:
    """A checked `.npy` header: where the data starts, and how to read it."""

    shape: tuple[int, ...]
    fortran_order: bool
    dtype: np.dtype[Any]
    data_offset: int


def _header_text(body: bytes) -> tuple[str, int]:
    """The header's text (the Python literal of a dict) and the offset of the data after it."""
    if not body.startswith(NPY_MAGIC):
        raise _not_npy("the body does not start with the .npy magic string")
    if len(body) < len(NPY_MAGIC) + 2:
        raise _not_npy("the header is truncated")
    version = (body[6], body[7])
    if version not in HEADER_LENGTH_BYTES:
        raise invalid_input({FIELD: [f"unsupported .npy version {version[0]}.{version[1]}"]})
    start = len(NPY_MAGIC) + 2 + HEADER_LENGTH_BYTES[version]
    if len(body) < start:
        raise _not_npy("the header is truncated")
    length = int.from_bytes(body[8:start], "little")
    if length > MAX_HEADER_BYTES:
        raise _not_npy(f"the header is {length} bytes; the limit is {MAX_HEADER_BYTES}")
    end = start + length
    if len(body) < end:
        raise _not_npy("the header is truncated")
    encoding = "utf-8" if version == (3, 0) else "latin-1"
    try:
        return body[start:end].decode(encoding), end
    except UnicodeDecodeError:
        raise _not_npy(f"the header is not {encoding} text") from None


_HEADER_TOKEN = re.compile(
    r"""[ \t\r\n\f\v]*(?:"""
    r"""(?P<string>'[^'\\\n]*'|"[^"\\\n]*")"""  # no escapes: no header this API reads has one
    r"""|(?P<int>0|[1-9][0-9]*)L?"""  # Python 2 wrote `784L`; numpy still reads it
    r"""|(?P<word>True|False)"""
    r"""|(?P<mark>[{}():,]))"""
)
_WHITESPACE = " \t\r\n\f\v"


def _tokens(text: str) -> list[tuple[str, str | int | bool]]:
    """The header's tokens: `(kind, value)`, kind one of string, int, word, mark."""
    tokens: list[tuple[str, str | int | bool]] = []
    position, end = 0, len(text.rstrip(_WHITESPACE))
    while position < end:
        match = _HEADER_TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            start = len(text) - len(text[position:].lstrip(_WHITESPACE))
            found = _short(text[start : start + 12])
            raise _not_npy(f"the header is not a .npy header dict: {found} at character {start}")
        kind, raw = match.lastgroup, match.group(match.lastgroup)
        value: str | int | bool
        if kind == "string":
            value = raw[1:-1]
        elif kind == "int":
            value = int(raw)
        elif kind == "word":
            value = raw == "True"
        else:
            value = raw
        tokens.append((kind, value))
        position = match.end()
    return tokens


class _HeaderParser:
    """Reads the header's dict from its tokens, without evaluating anything.

    Keys are strings; values are strings, True/False, integers, and flat tuples of those. That is
    every header numpy writes for a plain dtype, in numpy's spelling or another writer's (double
    quotes, no trailing comma, any key order).

    numpy evaluates the header with `ast.literal_eval`, whose hostile inputs escape as
    `tokenize.TokenError`, `RecursionError` or `MemoryError` and print `SyntaxWarning`s to the
    log; this reader is small, bounded (no recursion) and fails only with a 400 naming the header.
    """

    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    def _error(self, detail: str) -> ApiError:
        return _not_npy(f"the header is not a .npy header dict: {detail}")

    def _next(self) -> tuple[str, str | int | bool]:
        if self.index >= len(self.tokens):
            raise self._error("it ends early")
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _at(self, mark: str) -> bool:
        return self.index < len(self.tokens) and self.tokens[self.index] == ("mark", mark)

    def _expect(self, mark: str) -> None:
        kind, value = self._next()
        if (kind, value) != ("mark", mark):
            raise self._error(f"expected {mark!r}, got {_short(value)}")

    def header(self) -> dict[str, object]:
        """The whole header: one dict and nothing after it."""
        self._expect("{")
        fields: dict[str, object] = {}
        while not self._at("}"):
            kind, key = self._next()
            if kind != "string":
                raise self._error(f"keys must be strings, got {_short(key)}")
            if key in fields:
                raise self._error(f"the key {_short(key)} is given twice")
            self._expect(":")
            fields[str(key)] = self._value()
            if not self._at("}"):
                self._expect(",")
        self._expect("}")
        if self.index != len(self.tokens):
            raise self._error("text follows the dict")
        return fields

    def _value(self) -> object:
        kind, value = self._next()
        if kind != "mark":
            return value
        if value != "(":
            raise self._error(f"unexpected {_short(value)}")
        items: list[str | int | bool] = []
        comma = False
        while not self._at(")"):
            kind, item = self._next()
            if kind == "mark":
                raise self._error(f"unexpected {_short(item)} in a tuple")
            items.append(item)
            if self._at(")"):
                break
            self._expect(",")
            comma = True
        self._expect(")")
        # `(1)` is the number 1, as in Python; `(1,)` is a tuple.
        return items[0] if len(items) == 1 and not comma else tuple(items)


def _short(value: object) -> str:
    """`repr(value)`, cut to a length fit for an error message."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _header_dtype(descr: object) -> np.dtype[Any]:
    """The dtype named by the header's `descr`: uint8 or float32 (either byte order), or a 400."""
    refused = invalid_input({FIELD: [f"dtype must be uint8 or float32, got {_short(descr)}"]})
    # Only a short plain string can name a plain dtype; lists name structured dtypes.
    if type(descr) is not str or len(descr) > 16:
        raise refused
    try:
        dtype = np.dtype(descr)
    except (TypeError, ValueError, SyntaxError, MemoryError, OverflowError, RecursionError):
        raise refused from None
    if dtype.hasobject or dtype.kind not in "uf" or dtype.newbyteorder("=") not in ACCEPTED_DTYPES:
        raise invalid_input({FIELD: [f"dtype must be uint8 or float32, got {dtype.str}"]})
    return dtype


def read_npy_header(body: bytes) -> NpyHeader:
    """Read and check the header of a `.npy` body, without numpy's header parser.

    Raises:
        ApiError: `invalid_input` naming what is wrong with the header (magic string, version,
            length, syntax, keys, `descr`, `fortran_order`, `shape`).
    """
    text, data_offset = _header_text(body)
    fields = _HeaderParser(text).header()
    if set(fields) != HEADER_KEYS:
        keys = ", ".join(sorted(HEADER_KEYS))
        raise _not_npy(f"the header must be a dict of exactly the keys {keys}")
    shape, fortran_order = fields["shape"], fields["fortran_order"]
    # `type(...) is int`: a bool is an int to isinstance, and `(True, 784)` is no shape.
    if type(shape) is not tuple or not all(type(side) is int and side >= 0 for side in shape):
        raise _not_npy(
            f"the header's shape must be a tuple of non-negative integers, got {_short(shape)}"
        )
    if type(fortran_order) is not bool:
        raise _not_npy(
            f"the header's fortran_order must be True or False, got {_short(fortran_order)}"
        )
    dtype = _header_dtype(fields["descr"])
    return NpyHeader(shape, fortran_order, dtype, data_offset)


def batch_from_npy(body: bytes) -> PixelBatch:
    """Read a `.npy` array of shape (n, 784) or (n, 28, 28), uint8 or float32, as a batch.

    The header is read by `read_npy_header`, and the data by `np.frombuffer` with the checked
    dtype: nothing is unpickled, and a header claiming a huge array allocates nothing.

    Raises:
        ApiError: `invalid_input` naming what is wrong (not `.npy`, dtype, shape, truncated or
            trailing bytes, values outside 0..1), 413 over the batch limit.
    """
    header = read_npy_header(body)
    shape, dtype = header.shape, header.dtype
    if not (
        (len(shape) == 2 and shape[1] == INPUT_SIZE)
        or (len(shape) == 3 and tuple(shape[1:]) == IMAGE_SHAPE)
    ):
        shapes = f"(n, {INPUT_SIZE}) or (n, {IMAGE_SIDE}, {IMAGE_SIDE})"
        raise invalid_input({FIELD: [f"shape must be {shapes}, got {_short(shape)}"]})
    count = shape[0]
    _check_count(count)
    expected = count * INPUT_SIZE * dtype.itemsize
    available = len(body) - header.data_offset
    if available != expected:
        what = "truncated" if available < expected else "has trailing bytes"
        raise invalid_input(
            {FIELD: [f"the array is {what}: expected {expected} data bytes, got {available}"]}
        )
    flat = np.frombuffer(body, dtype=dtype, count=count * INPUT_SIZE, offset=header.data_offset)
    array = flat.reshape(shape, order="F" if header.fortran_order else "C")
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
