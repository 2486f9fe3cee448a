"""The fast MNIST cache: one uint8 `.npy` file per official file, plus a JSON manifest.

Parsing the gzip files takes seconds; `np.load` of the cache takes a fraction of one. The cache is
trusted only after a cheap check: the manifest must name the official checksums, each array must
have the expected shape and dtype, and the SHA-256 of the IDX header rebuilt from the shape
followed by the array's bytes must equal the official content checksum (hashing 55 MB costs a
small fraction of parsing them). A cache that fails is discarded, and the caller rebuilds it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from nn_core.atomic_files import atomic_write_bytes, atomic_writer
from nn_core.idx import idx_header
from nn_core.mnist_files import MnistFile

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
CACHE_FORMAT = "hippo-mnist-npy"
CACHE_VERSION = 1


class CacheInvalidError(Exception):
    """The cache exists but cannot be trusted (the reason is the message)."""


def npy_name(spec: MnistFile) -> str:
    """The cache file of one MNIST file, e.g. `train-images.npy`."""
    return f"{spec.key}.npy"


def content_sha256(array: np.ndarray) -> str:
    """SHA-256 of the IDX content an array came from (header rebuilt from shape, then data)."""
    digest = hashlib.sha256(idx_header(array.dtype, array.shape))
    digest.update(memoryview(np.ascontiguousarray(array)).cast("B"))
    return digest.hexdigest()


def write_cache(
    cache_dir: Path, arrays: Mapping[str, np.ndarray], files: Mapping[str, MnistFile], source: str
) -> Path:
    """Write every array as `<key>.npy` and then the manifest (its presence marks a complete cache).

    Returns:
        The manifest's path.
    """
    cache_dir = Path(cache_dir)
    for key, spec in files.items():
        with atomic_writer(cache_dir / npy_name(spec)) as handle:
            np.save(handle, np.ascontiguousarray(arrays[key]), allow_pickle=False)
    manifest = {
        "format": CACHE_FORMAT,
        "version": CACHE_VERSION,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "source": source,
        "files": {
            key: {
                "npy": npy_name(spec),
                "idx_filename": spec.filename,
                "content_sha256": spec.sha256,
                "shape": list(spec.shape),
                "dtype": "uint8",
            }
            for key, spec in files.items()
        },
    }
    return atomic_write_bytes(
        cache_dir / MANIFEST_NAME, (json.dumps(manifest, indent=2) + "\n").encode()
    )


def _check_manifest(manifest: Any, files: Mapping[str, MnistFile]) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != CACHE_FORMAT:
        raise CacheInvalidError("the manifest is not a Hippo MNIST cache manifest")
    if manifest.get("version") != CACHE_VERSION:
        raise CacheInvalidError(
            f"cache version {manifest.get('version')!r}, expected {CACHE_VERSION}"
        )
    entries = manifest.get("files")
    if not isinstance(entries, dict) or set(entries) != set(files):
        raise CacheInvalidError("the manifest does not list the expected files")
    for key, spec in files.items():
        entry = entries[key]
        if not isinstance(entry, dict) or entry.get("content_sha256") != spec.sha256:
            raise CacheInvalidError(f"{key}: the manifest records another checksum")


def read_cache(cache_dir: Path, files: Mapping[str, MnistFile]) -> dict[str, np.ndarray]:
    """Load and verify the cache.

    Raises:
        FileNotFoundError: There is no cache (no manifest).
        CacheInvalidError: The cache is present but fails a check.
    """
    cache_dir = Path(cache_dir)
    manifest_path = cache_dir / MANIFEST_NAME
    try:
        text = manifest_path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(manifest_path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CacheInvalidError(f"unreadable manifest ({exc})") from None
    try:
        manifest = json.loads(text)
    except ValueError as exc:
        raise CacheInvalidError(f"the manifest is not valid JSON ({exc})") from None
    _check_manifest(manifest, files)
    arrays: dict[str, np.ndarray] = {}
    for key, spec in files.items():
        path = cache_dir / npy_name(spec)
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            raise CacheInvalidError(f"{path.name}: cannot be loaded ({exc})") from None
        if not isinstance(array, np.ndarray):
            raise CacheInvalidError(f"{path.name}: not a single array")
        if array.dtype != np.uint8 or array.shape != spec.shape:
            raise CacheInvalidError(
                f"{path.name}: {array.dtype} {array.shape}, expected uint8 {spec.shape}"
            )
        if content_sha256(array) != spec.sha256:
            raise CacheInvalidError(f"{path.name}: content does not match the official checksum")
        arrays[key] = array
    return arrays


def discard_cache(cache_dir: Path, files: Mapping[str, MnistFile]) -> None:
    """Delete the manifest and the `.npy` files (never the downloaded IDX files), best effort."""
    cache_dir = Path(cache_dir)
    for name in [MANIFEST_NAME, *(npy_name(spec) for spec in files.values())]:
        try:
            (cache_dir / name).unlink(missing_ok=True)
        except OSError as exc:  # a read-only cache is rebuilt elsewhere or parsed each time
            logger.warning("Could not delete %s: %s", cache_dir / name, exc)
