"""Download the four MNIST files from public mirrors, verified, into the cache folder.

Each file is tried on every mirror in turn until one serves bytes whose *uncompressed* content
has the official SHA-256 (mirrors compress differently, so the gzip bytes cannot be compared).
A file is written only once verified, atomically; a failed attempt leaves nothing behind.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from nn_core.atomic_files import atomic_write_bytes
from nn_core.idx import IdxFormatError, decompress_idx
from nn_core.mnist import MNIST_FILES, MnistFile, MnistFormatError
from nn_core.mnist_files import find_mnist_file, read_mnist_file, validate_mnist_content

DEFAULT_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
"""Well-known public copies of the original files, tried in this order."""
MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024
"""The largest file (training images) is under 10 MB gzip'ed; a mirror sending more is wrong."""
CHUNK = 64 * 1024
USER_AGENT = "hippo-fetch-mnist/1"


class DownloadError(RuntimeError):
    """No mirror served a verified copy of a file; the message lists every attempt and the fix."""


class _MirrorFailedError(Exception):
    """One mirror failed for one file (the message says why)."""


@dataclass(frozen=True)
class FetchedFile:
    """One file in the target folder: `mirror` it came from, None when it was already there."""

    key: str
    path: Path
    mirror: str | None


def check_mirror(url: str) -> str:
    """Return the mirror URL with a trailing slash.

    Raises:
        ValueError: Not an http(s) URL (urllib would also open `file:` URLs).
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"a mirror must be an http(s) URL, got {url!r}")
    return url if url.endswith("/") else url + "/"


def _fetch(url: str, timeout: float, progress: bool, label: str, stream: TextIO | None) -> bytes:
    """GET `url` with a progress bar; the body, at most MAX_DOWNLOAD_BYTES."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310 -- scheme checked
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 -- scheme checked
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if total is not None and total > MAX_DOWNLOAD_BYTES:
                raise _MirrorFailedError(f"announces {total} bytes, more than any MNIST file")
            chunks: list[bytes] = []
            received = 0
            with tqdm(
                total=total,
                desc=label,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                disable=not progress,
                file=stream or sys.stderr,
                leave=True,
            ) as bar:
                while chunk := response.read(CHUNK):
                    received += len(chunk)
                    if received > MAX_DOWNLOAD_BYTES:
                        raise _MirrorFailedError("sends more bytes than any MNIST file")
                    chunks.append(chunk)
                    bar.update(len(chunk))
            if total is not None and received != total:
                raise _MirrorFailedError(f"connection closed after {received} of {total} bytes")
            return b"".join(chunks)
    except urllib.error.HTTPError as exc:
        raise _MirrorFailedError(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise _MirrorFailedError(f"unreachable ({exc.reason})") from None
    except (TimeoutError, OSError) as exc:
        raise _MirrorFailedError(f"network error ({exc})") from None


def _verified(raw: bytes, spec: MnistFile, url: str) -> None:
    try:
        content = decompress_idx(raw, url)
        validate_mnist_content(content, spec, url)
    except IdxFormatError as exc:
        raise _MirrorFailedError(f"served a file that fails verification: {exc}") from None


def _present(target_dir: Path, spec: MnistFile) -> Path | None:
    """The file already in `target_dir` when it verifies, else None."""
    path = find_mnist_file(target_dir, spec)
    if path is None:
        return None
    try:
        read_mnist_file(path, spec)
    except (MnistFormatError, OSError):
        return None
    return path


def download_mnist(
    target_dir: Path,
    mirrors: Sequence[str] = DEFAULT_MIRRORS,
    *,
    files: Mapping[str, MnistFile] = MNIST_FILES,
    timeout: float = 30.0,
    progress: bool = True,
    stream: TextIO | None = None,
) -> list[FetchedFile]:
    """Make sure `target_dir` holds a verified copy of every file, downloading what is missing.

    Args:
        target_dir: Where the files go (normally `settings.HIPPO_MNIST_CACHE`).
        mirrors: Base URLs tried in order for each file.
        files: The file table (tests use small self-made files and checksums).
        timeout: Seconds per network operation.
        progress: Show a tqdm progress bar per file.
        stream: Where the progress bars go (default stderr).

    Returns:
        One entry per file, in table order.

    Raises:
        DownloadError: Some file could not be fetched from any mirror (files already verified
            stay; nothing partial is left).
        ValueError: A mirror is not an http(s) URL.
    """
    bases = [check_mirror(url) for url in mirrors]
    if not bases:
        raise ValueError("no mirror to download from")
    target_dir = Path(target_dir)
    fetched: list[FetchedFile] = []
    for key, spec in files.items():
        present = _present(target_dir, spec)
        if present is not None:
            fetched.append(FetchedFile(key, present, None))
            continue
        failures: list[str] = []
        for base in bases:
            url = base + spec.filename
            try:
                raw = _fetch(url, timeout, progress, spec.filename, stream)
                _verified(raw, spec, url)
            except _MirrorFailedError as exc:
                failures.append(f"  - {url}: {exc}")
                continue
            path = atomic_write_bytes(target_dir / spec.filename, raw)
            fetched.append(FetchedFile(key, path, base))
            break
        else:
            names = ", ".join(s.filename for s in files.values())
            raise DownloadError(
                f"Could not download {spec.filename} from any mirror:\n"
                + "\n".join(failures)
                + f"\nWithout internet access, copy the four MNIST files ({names}) into a folder "
                "and set HIPPO_MNIST_DIR=/path/to/that/folder, or put them into "
                f"{target_dir}; then run `python manage.py fetch_mnist` again."
            )
    return fetched
