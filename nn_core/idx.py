"""The IDX file format of MNIST: parsing and strict validation, gzip or raw.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions),
one big-endian uint32 per dimension, then the values, row-major and big-endian.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import struct
import zlib
from pathlib import Path

import numpy as np

GZIP_MAGIC = b"\x1f\x8b"
MAX_IDX_BYTES = 128 * 1024 * 1024
"""Largest uncompressed IDX content read (MNIST's biggest file is 47 MB): a gzip bomb stops here."""

IDX_TYPES: dict[int, np.dtype[np.generic]] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class IdxFormatError(ValueError):
    """An IDX file is malformed: bad magic number, counts or dimensions, or a wrong checksum."""


def decompress_idx(raw: bytes, name: str = "IDX content", max_bytes: int = MAX_IDX_BYTES) -> bytes:
    """Return IDX content from file bytes, gunzipping when they start with 1f 8b.

    Args:
        raw: The bytes of a gzip or raw IDX file (detected from the magic bytes, not the name).
        name: What to call the content in error messages.
        max_bytes: Refuse content larger than this.

    Raises:
        IdxFormatError: A corrupt gzip stream or content larger than `max_bytes`.
    """
    if raw[:2] == GZIP_MAGIC:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
                data = stream.read(max_bytes + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise IdxFormatError(f"{name}: corrupt gzip stream ({exc})") from None
    else:
        data = raw
    if len(data) > max_bytes:
        raise IdxFormatError(f"{name}: more than {max_bytes} bytes of IDX content; refusing it")
    return data


def read_idx_bytes(path: Path, max_bytes: int = MAX_IDX_BYTES) -> bytes:
    """Return the uncompressed IDX content of the file `path` (gzip or raw).

    Raises:
        IdxFormatError: A corrupt gzip stream or content larger than `max_bytes`.
        OSError: The file cannot be read.
    """
    path = Path(path)
    with path.open("rb") as handle:
        raw = handle.read(max_bytes + 1)
    if raw[:2] != GZIP_MAGIC and len(raw) > max_bytes:
        raise IdxFormatError(f"{path}: more than {max_bytes} bytes of IDX content; refusing it")
    return decompress_idx(raw, str(path), max_bytes)


def idx_header(dtype: np.dtype[np.generic], shape: tuple[int, ...]) -> bytes:
    """Return the IDX header (magic number and dimensions) for an array of `dtype` and `shape`."""
    codes = {value: code for code, value in IDX_TYPES.items()}
    code = codes.get(np.dtype(dtype).newbyteorder(">"), codes.get(np.dtype(dtype)))
    if code is None:
        raise IdxFormatError(f"dtype {dtype} has no IDX type code")
    return struct.pack(">BBBB", 0, 0, code, len(shape)) + struct.pack(f">{len(shape)}I", *shape)


def parse_idx(data: bytes, name: str = "IDX content") -> np.ndarray:
    """Parse IDX content into an array, checking the header against the actual byte length.

    Args:
        data: Uncompressed IDX bytes.
        name: What to call the content in error messages (usually the file's path).

    Returns:
        A read-only array in native byte order with the shape of the header's dimensions.

    Raises:
        IdxFormatError: Bad magic number, unknown type code, or a length that does not match.
    """
    if len(data) < 4:
        raise IdxFormatError(f"{name}: {len(data)} bytes is too short for an IDX header")
    zero1, zero2, type_code, ndim = struct.unpack(">BBBB", data[:4])
    magic = int.from_bytes(data[:4], "big")
    if zero1 or zero2:
        raise IdxFormatError(f"{name}: bad magic number 0x{magic:08x} (not an IDX file)")
    if type_code not in IDX_TYPES:
        raise IdxFormatError(f"{name}: unknown IDX type code 0x{type_code:02x}")
    if ndim == 0:
        raise IdxFormatError(f"{name}: the header declares no dimensions")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IdxFormatError(f"{name}: truncated header ({len(data)} of {header_size} bytes)")
    shape = struct.unpack(f">{ndim}I", data[4:header_size])
    dtype = IDX_TYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - header_size
    if actual != expected:
        problem = "truncated" if actual < expected else "trailing bytes"
        raise IdxFormatError(
            f"{name}: the header declares {'x'.join(map(str, shape))} values ({expected} bytes) "
            f"but the file holds {actual} bytes ({problem})"
        )
    values = np.frombuffer(data, dtype=dtype, offset=header_size).reshape(shape)
    native = values.astype(dtype.newbyteorder("="), copy=False)
    return native


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 of `data` as lowercase hex."""
    return hashlib.sha256(data).hexdigest()


def read_idx(path: Path, expected_sha256: str | None = None) -> np.ndarray:
    """Read an IDX file (gzip or raw), validate it and return its values.

    Args:
        path: The file.
        expected_sha256: When given, the SHA-256 of the *uncompressed* content must equal it.

    Raises:
        IdxFormatError: Malformed content or a checksum mismatch.
        OSError: The file cannot be read.
    """
    data = read_idx_bytes(path)
    array = parse_idx(data, str(path))
    if expected_sha256 is not None:
        actual = sha256_hex(data)
        if actual != expected_sha256.lower():
            raise IdxFormatError(
                f"{path}: content SHA-256 {actual} does not match the expected {expected_sha256} "
                "(corrupt or not the official file)"
            )
    return array
