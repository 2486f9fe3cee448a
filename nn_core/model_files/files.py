"""Model files on disk: `<stem>.safetensors` with the tensors beside `<stem>.json`.

Writes are atomic and deterministic: the same network and metadata give the same bytes (the
safetensors library writes its header's metadata in a random order, so the header is
rewritten in sorted order). Loading trusts neither file (see :mod:`.tensors`). Nothing is ever
unpickled.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import safetensors
import safetensors.numpy

from nn_core.atomic_files import atomic_write_bytes
from nn_core.model_files.metadata import (
    FORMAT_VERSION,
    ModelFileError,
    ModelMetadata,
    metadata_path_for,
    read_metadata,
    require,
)
from nn_core.model_files.tensors import build_network, check_network, network_tensors
from nn_core.sequential import Sequential

WEIGHTS_SUFFIX = ".safetensors"
HEADER_METADATA = {"format": "hippo-network", "format_version": str(FORMAT_VERSION)}
"""Written into the safetensors header too, so the weights file says what it is on its own."""
HEADER_LENGTH_BYTES = 8
"""A safetensors file starts with its JSON header's length, a little-endian u64."""


@dataclass(frozen=True)
class LoadedModel:
    """A network rebuilt from files, with its metadata.

    `network` is a `NeuralNetwork` (with `weights` and `biases`) for a fully connected
    architecture, a `Sequential` otherwise.
    """

    network: Sequential
    metadata: ModelMetadata


def network_from_safetensors(
    data: bytes, metadata: ModelMetadata, origin: str = "weights"
) -> Sequential:
    """Build a network from the bytes of a safetensors file, validated against `metadata`.

    Raises:
        ModelFileError: Truncated/corrupt bytes, or tensors inconsistent with the metadata.
    """
    try:
        tensors = safetensors.numpy.load(data)
    except (safetensors.SafetensorError, KeyError, ValueError, TypeError) as exc:
        raise ModelFileError(
            f"{origin}: not a valid safetensors file (truncated or corrupt): {exc}"
        ) from None
    return build_network(metadata, tensors, origin)


def load_model(weights_path: Path, metadata_path: Path | None = None) -> LoadedModel:
    """Load `<stem>.safetensors` with its metadata (default: `<stem>.json` beside it).

    Raises:
        ModelFileError: Any problem with either file, with the path and the reason.
    """
    weights_path = Path(weights_path)
    metadata = read_metadata(metadata_path or metadata_path_for(weights_path))
    try:
        data = weights_path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"{weights_path}: weights file not found") from None
    except OSError as exc:
        raise ModelFileError(f"{weights_path}: cannot read the weights ({exc})") from None
    return LoadedModel(network_from_safetensors(data, metadata, str(weights_path)), metadata)


def sorted_header(data: bytes) -> bytes:
    """The safetensors bytes ``data`` with the header's keys in sorted order.

    The header is JSON; its `__metadata__` map comes out of the library in an order that changes
    from process to process (a hash map's), so two saves of the same network would differ.
    Sorting gives the same bytes every time; the header keeps its length (same keys and values,
    padded with spaces as the format allows), so the tensor data does not move.
    """
    length = int.from_bytes(data[:HEADER_LENGTH_BYTES], "little")
    end = HEADER_LENGTH_BYTES + length
    header = json.loads(data[HEADER_LENGTH_BYTES:end])
    ordered = {key: header[key] for key in sorted(header)}
    if "__metadata__" in ordered:
        metadata = ordered["__metadata__"]
        ordered["__metadata__"] = {key: metadata[key] for key in sorted(metadata)}
    text = json.dumps(ordered, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if len(text) > length:  # pragma: no cover - the same keys and values never grow
        return data
    return data[:HEADER_LENGTH_BYTES] + text.ljust(length) + data[end:]


def save_model(
    network: Sequential, weights_path: Path, metadata: ModelMetadata
) -> tuple[Path, Path]:
    """Write `<stem>.safetensors` and `<stem>.json` side by side, each atomically.

    Args:
        network: The network to save.
        weights_path: Where the weights go; must end in `.safetensors`.
        metadata: Its metadata; must describe `network` exactly (input shape, layers, output,
            cost, dtype).

    Returns:
        `(weights_path, metadata_path)`.

    Raises:
        ModelFileError: A wrong suffix, metadata inconsistent with the network, invalid metadata,
            or NaN/infinite parameters (nothing is written then).
    """
    weights_path = Path(weights_path)
    require(
        weights_path.suffix == WEIGHTS_SUFFIX,
        f"{weights_path}: the weights file name must end in {WEIGHTS_SUFFIX}",
    )
    check_network(network, metadata)
    tensors = network_tensors(network, metadata)
    text = metadata.to_json()
    data = sorted_header(safetensors.numpy.save(tensors, metadata=HEADER_METADATA))
    metadata_path = metadata_path_for(weights_path)
    atomic_write_bytes(weights_path, data)
    atomic_write_bytes(metadata_path, text.encode("utf-8"))
    return weights_path, metadata_path


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes, as lowercase hex (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
