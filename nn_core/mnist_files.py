"""The four official MNIST files: names, content checksums, counts, and how to validate each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from nn_core.constants import IMAGE_SIDE
from nn_core.idx import IdxFormatError, parse_idx, read_idx_bytes, sha256_hex

IMAGE_MAGIC = 0x00000803
LABEL_MAGIC = 0x00000801


class MnistFormatError(IdxFormatError):
    """An MNIST file is malformed: bad magic number, count, dimensions, labels or checksum."""


@dataclass(frozen=True)
class MnistFile:
    """One MNIST file as published.

    Attributes:
        key: `train-images`, `train-labels`, `test-images` or `test-labels`.
        filename: The gzip file's name on the mirrors, e.g. `train-images-idx3-ubyte.gz`.
        sha256: SHA-256 of the *uncompressed* IDX content (gzip wrappers differ between mirrors).
        count: Number of images or labels.
    """

    key: str
    filename: str
    sha256: str
    count: int

    @property
    def kind(self) -> Literal["images", "labels"]:
        """`images` or `labels`, from the key."""
        return "images" if self.key.endswith("images") else "labels"

    @property
    def raw_filename(self) -> str:
        """The uncompressed file's name (`train-images-idx3-ubyte`)."""
        return self.filename.removesuffix(".gz")

    @property
    def magic(self) -> int:
        """The IDX magic number the file must start with."""
        return IMAGE_MAGIC if self.kind == "images" else LABEL_MAGIC

    @property
    def shape(self) -> tuple[int, ...]:
        """The array shape the file must hold."""
        if self.kind == "images":
            return (self.count, IMAGE_SIDE, IMAGE_SIDE)
        return (self.count,)


MNIST_FILES: dict[str, MnistFile] = {
    spec.key: spec
    for spec in (
        MnistFile(
            "train-images",
            "train-images-idx3-ubyte.gz",
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            60_000,
        ),
        MnistFile(
            "train-labels",
            "train-labels-idx1-ubyte.gz",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            60_000,
        ),
        MnistFile(
            "test-images",
            "t10k-images-idx3-ubyte.gz",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            10_000,
        ),
        MnistFile(
            "test-labels",
            "t10k-labels-idx1-ubyte.gz",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            10_000,
        ),
    )
}
"""The official files. Checksums from ../shared/mnist/README.md (content, not gzip bytes)."""


def validate_mnist_content(data: bytes, spec: MnistFile, name: str) -> np.ndarray:
    """Check uncompressed IDX content against `spec` and return it as a uint8 array.

    Raises:
        MnistFormatError: Wrong magic number, count, dimensions, label values or checksum.
    """
    if len(data) >= 4:
        magic = int.from_bytes(data[:4], "big")
        if magic != spec.magic:
            raise MnistFormatError(
                f"{name}: magic number 0x{magic:08x}, expected 0x{spec.magic:08x} "
                f"(an MNIST {spec.kind} file)"
            )
    try:
        array = parse_idx(data, name)
    except IdxFormatError as exc:
        raise MnistFormatError(str(exc)) from None
    if array.shape != spec.shape:
        raise MnistFormatError(
            f"{name}: holds {'x'.join(map(str, array.shape))} values, "
            f"expected {'x'.join(map(str, spec.shape))}"
        )
    if spec.kind == "labels" and array.size and int(array.max()) > 9:
        raise MnistFormatError(f"{name}: a label is {int(array.max())}, labels are 0..9")
    actual = sha256_hex(data)
    if actual != spec.sha256:
        raise MnistFormatError(
            f"{name}: content SHA-256 {actual} differs from the official {spec.sha256} "
            "(corrupt or not the official file)"
        )
    return array


def read_mnist_file(path: Path, spec: MnistFile) -> np.ndarray:
    """Read and fully validate one MNIST file (gzip or raw) against `spec`.

    Raises:
        MnistFormatError: Corrupt gzip or content that fails `validate_mnist_content`.
        OSError: The file cannot be read.
    """
    try:
        data = read_idx_bytes(path)
    except IdxFormatError as exc:
        raise MnistFormatError(str(exc)) from None
    return validate_mnist_content(data, spec, str(path))


def find_mnist_file(directory: Path, spec: MnistFile) -> Path | None:
    """Return the gzip or raw copy of `spec` in `directory`, or None."""
    for name in (spec.filename, spec.raw_filename):
        candidate = Path(directory) / name
        if candidate.is_file():
            return candidate
    return None
