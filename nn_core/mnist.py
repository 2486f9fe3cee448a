"""MNIST: find, verify, cache and split the four official files.

Sources, in order: the `.npy` cache when it verifies (fast; its content is checked against the
official checksums, so it is the same data whatever folder it was built from), then the IDX files
(gzip or raw) in `source_dir` (default: env `HIPPO_MNIST_DIR`) and in `cache_dir` (where
`manage.py fetch_mnist` downloads them; default env `HIPPO_DATA_DIR`/mnist, else ./var/mnist).
After a parse the cache is (re)written. Nothing is ever unpickled.

Splits follow the original Hippo (Nielsen's `mnist_loader`): train = the first 50,000 training
images, validation = the last 10,000, test = the 10,000 t10k images.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nn_core import idx, mnist_cache
from nn_core.constants import IMAGE_SIDE
from nn_core.mnist_files import (
    MNIST_FILES,
    MnistFile,
    MnistFormatError,
    find_mnist_file,
    read_mnist_file,
)

logger = logging.getLogger(__name__)

TRAIN_SIZE = 50_000
VALIDATION_SIZE = 10_000
SPLIT_NAMES = ("train", "validation", "test")
PIXELS = IMAGE_SIDE * IMAGE_SIDE


class MnistNotFoundError(FileNotFoundError):
    """The MNIST files are nowhere to be found; the message says exactly how to provide them."""


def default_source_dir() -> Path | None:
    """The folder named by env `HIPPO_MNIST_DIR`, or None when unset."""
    value = os.environ.get("HIPPO_MNIST_DIR", "").strip()
    return Path(value) if value else None


def default_cache_dir() -> Path:
    """Env `HIPPO_DATA_DIR`/mnist, else ./var/mnist (as the Django setting HIPPO_MNIST_CACHE)."""
    data_dir = os.environ.get("HIPPO_DATA_DIR", "").strip()
    return (Path(data_dir) if data_dir else Path("var")) / "mnist"


def not_found_message(
    source_dir: Path | None, cache_dir: Path, files: Mapping[str, MnistFile] = MNIST_FILES
) -> str:
    """The one error message for missing MNIST: what was searched and the two ways to fix it."""
    names = ", ".join(spec.filename for spec in files.values())
    searched = f"HIPPO_MNIST_DIR={source_dir}" if source_dir else "HIPPO_MNIST_DIR (not set)"
    return (
        f"MNIST is missing: looked in {searched} and in the cache {cache_dir} for the four files "
        f"{names} (gzip or uncompressed). Provide them either way: (1) put the four files in a "
        "folder and set HIPPO_MNIST_DIR=/path/to/that/folder "
        "(e.g. HIPPO_MNIST_DIR=../shared/mnist), "
        "or (2) on a machine with internet access run `python manage.py fetch_mnist`, which "
        f"downloads and verifies them into {cache_dir}."
    )


def read_idx(path: Path, expected_sha256: str | None = None) -> np.ndarray:
    """Read an IDX file (gzip or raw, detected from the magic bytes 1f 8b) and validate it.

    Args:
        path: The file.
        expected_sha256: When given, the SHA-256 of the uncompressed content must equal it.

    Raises:
        MnistFormatError: Bad magic number, dimensions that disagree with the byte length,
            corrupt gzip, or a checksum mismatch.
    """
    try:
        return idx.read_idx(path, expected_sha256)
    except idx.IdxFormatError as exc:
        raise MnistFormatError(str(exc)) from None


@dataclass(frozen=True)
class MnistArrays:
    """The four official arrays, uint8 as published.

    Attributes:
        train_images: (60000, 28, 28). train_labels: (60000,).
        test_images: (10000, 28, 28). test_labels: (10000,).
        source: Where they were loaded from (a folder, or `cache <folder>`).
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str = ""


@dataclass(frozen=True)
class Split:
    """One split: `images` float32 (n, 784) in 0..1, `labels` int64 (n,)."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return int(self.labels.shape[0])


@dataclass(frozen=True)
class MnistSplits:
    """Train (50,000), validation (the last 10,000 of the official training file) and test (10,000).

    Attributes:
        checksums: Official file name -> SHA-256 of its content (for model metadata).
        source: Where the data was loaded from.
    """

    train: Split
    validation: Split
    test: Split
    checksums: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def get(self, name: str) -> Split:
        """Return the split called `train`, `validation` or `test`.

        Raises:
            ValueError: Any other name.
        """
        if name not in SPLIT_NAMES:
            raise ValueError(f"unknown dataset {name!r}; expected one of {', '.join(SPLIT_NAMES)}")
        split: Split = getattr(self, name)
        return split


def _resolve_dirs(
    source_dir: Path | None, cache_dir: Path | None, use_env: bool
) -> tuple[Path | None, Path]:
    source = Path(source_dir) if source_dir else (default_source_dir() if use_env else None)
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    return source, cache


def locate_mnist(
    source_dir: Path | None = None,
    cache_dir: Path | None = None,
    *,
    use_env: bool = True,
    files: Mapping[str, MnistFile] = MNIST_FILES,
) -> str | None:
    """Cheaply say where MNIST would be loaded from, without reading it (None: nowhere).

    Only file presence is checked; `load_mnist` still verifies everything.
    """
    source, cache = _resolve_dirs(source_dir, cache_dir, use_env)
    if (cache / mnist_cache.MANIFEST_NAME).is_file():
        return f"cache {cache}"
    for directory in (source, cache):
        if directory is not None and all(find_mnist_file(directory, s) for s in files.values()):
            return str(directory)
    return None


def _load_cache(cache: Path, files: Mapping[str, MnistFile]) -> dict[str, np.ndarray] | None:
    try:
        return mnist_cache.read_cache(cache, files)
    except FileNotFoundError:
        return None
    except mnist_cache.CacheInvalidError as exc:
        logger.warning("Discarding the MNIST cache in %s: %s", cache, exc)
        mnist_cache.discard_cache(cache, files)
        return None


def _read_first_valid(spec: MnistFile, directories: list[Path]) -> tuple[np.ndarray, Path] | None:
    """The first copy of `spec` that verifies (a corrupt copy is skipped if another verifies)."""
    error: MnistFormatError | None = None
    for directory in directories:
        path = find_mnist_file(directory, spec)
        if path is None:
            continue
        try:
            return read_mnist_file(path, spec), path
        except MnistFormatError as exc:
            logger.warning("Skipping %s: %s", path, exc)
            error = error or exc
    if error is not None:
        raise error
    return None


def _parse_sources(
    source: Path | None, cache: Path, files: Mapping[str, MnistFile]
) -> tuple[dict[str, np.ndarray], str]:
    arrays: dict[str, np.ndarray] = {}
    folders: list[str] = []
    directories = [directory for directory in (source, cache) if directory is not None]
    for key, spec in files.items():
        found = _read_first_valid(spec, directories)
        if found is None:
            raise MnistNotFoundError(not_found_message(source, cache, files))
        arrays[key], path = found
        if str(path.parent) not in folders:
            folders.append(str(path.parent))
    return arrays, ", ".join(folders)


def load_mnist(
    source_dir: Path | None = None,
    cache_dir: Path | None = None,
    *,
    use_env: bool = True,
    files: Mapping[str, MnistFile] = MNIST_FILES,
) -> MnistArrays:
    """Load the four official MNIST arrays, verified, from the fast cache or the IDX files.

    Args:
        source_dir: A folder with the four files (gzip or raw). Default: env `HIPPO_MNIST_DIR`.
        cache_dir: The cache folder (downloads and `.npy` cache). Default: env
            `HIPPO_DATA_DIR`/mnist, else ./var/mnist.
        use_env: Read `HIPPO_MNIST_DIR` when `source_dir` is None (Django passes its settings
            and turns this off).
        files: The file table (tests use small self-made sets).

    Raises:
        MnistNotFoundError: A file is nowhere to be found (the message says how to provide it).
        MnistFormatError: A file is there but malformed or not the official one.
    """
    source, cache = _resolve_dirs(source_dir, cache_dir, use_env)
    cached = _load_cache(cache, files)
    origin = f"cache {cache}"
    if cached is None:
        cached, origin = _parse_sources(source, cache, files)
        try:
            mnist_cache.write_cache(cache, cached, files, origin)
        except OSError as exc:
            # A read-only data folder only costs speed: the next load parses again.
            logger.warning("Could not write the MNIST cache in %s: %s", cache, exc)
    return MnistArrays(
        train_images=cached["train-images"],
        train_labels=cached["train-labels"],
        test_images=cached["test-images"],
        test_labels=cached["test-labels"],
        source=origin,
    )


def to_float_images(images: np.ndarray) -> np.ndarray:
    """uint8 images (n, 28, 28) -> float32 (n, 784) in 0..1."""
    flat = images.reshape(images.shape[0], -1)
    images_f32: np.ndarray = np.divide(flat, np.float32(255.0), dtype=np.float32)
    return images_f32


def split_arrays(arrays: MnistArrays, files: Mapping[str, MnistFile] = MNIST_FILES) -> MnistSplits:
    """Turn the official arrays into the train / validation / test splits."""
    train_all = to_float_images(arrays.train_images)
    train_labels = arrays.train_labels.astype(np.int64)
    cut = train_all.shape[0] - VALIDATION_SIZE
    return MnistSplits(
        # Slices are views: train and validation share one float32 array.
        train=Split(train_all[:cut], train_labels[:cut]),
        validation=Split(train_all[cut:], train_labels[cut:]),
        test=Split(to_float_images(arrays.test_images), arrays.test_labels.astype(np.int64)),
        checksums={spec.filename: spec.sha256 for spec in files.values()},
        source=arrays.source,
    )


def load_splits(
    source_dir: Path | None = None, cache_dir: Path | None = None, *, use_env: bool = True
) -> MnistSplits:
    """Load MNIST (see `load_mnist`) as train 50,000 / validation 10,000 / test 10,000."""
    return split_arrays(load_mnist(source_dir, cache_dir, use_env=use_env))


def one_hot(label: int) -> np.ndarray:
    """A (10, 1) float32 column with 1.0 at `label` (the original Hippo's `vectorized_result`)."""
    column = np.zeros((10, 1), dtype=np.float32)
    column[label] = 1.0
    return column


def load_data_wrapper(
    source_dir: Path | None = None, cache_dir: Path | None = None
) -> tuple[
    list[tuple[np.ndarray, np.ndarray]], list[tuple[np.ndarray, int]], list[tuple[np.ndarray, int]]
]:
    """The original Hippo's `mnist_loader.load_data_wrapper()`: lists for `NeuralNetwork.train`.

    Returns:
        `(training_data, validation_data, test_data)`: training holds 50,000 pairs `(x, y)` with
        x a (784, 1) float32 column and y a (10, 1) one-hot column; validation and test hold
        10,000 pairs `(x, label)` with an int label. The columns are views of one array.
    """
    splits = load_splits(source_dir, cache_dir)

    def columns(split: Split) -> list[np.ndarray]:
        return [image.reshape(PIXELS, 1) for image in split.images]

    training = [
        (x, one_hot(int(y)))
        for x, y in zip(columns(splits.train), splits.train.labels, strict=True)
    ]
    validation = [
        (x, int(y))
        for x, y in zip(columns(splits.validation), splits.validation.labels, strict=True)
    ]
    test = [(x, int(y)) for x, y in zip(columns(splits.test), splits.test.labels, strict=True)]
    return training, validation, test


__all__ = [
    "MNIST_FILES",
    "SPLIT_NAMES",
    "MnistArrays",
    "MnistFile",
    "MnistFormatError",
    "MnistNotFoundError",
    "MnistSplits",
    "Split",
    "default_cache_dir",
    "default_source_dir",
    "load_data_wrapper",
    "load_mnist",
    "load_splits",
    "locate_mnist",
    "not_found_message",
    "read_idx",
    "split_arrays",
]
