"""Model files: safetensors weights plus a JSON metadata file, and `.npz` import/export.

A model `<stem>` is two files side by side: `<stem>.safetensors` with the tensors and
`<stem>.json` with what the tensors mean and how the model was made (metrics, training
configuration and history).

Format version 2 (written since the networks became layers): the metadata carries the
architecture as `input_shape` ([784], or [channels, height, width]) and `layers`, a list of
layer specs (`nn_core.layers.specs`), plus `output`, `cost` and `dtype`; `sizes` and
`activation` are still written (derived) for readers that show them. The tensors are named per
layer with parameters, counting only those layers: `layers.{l}.weight` and `layers.{l}.bias`
for the l-th dense or conv2d layer — (out, in) and (out,) for dense, (filters, channels, kh, kw)
and (filters,) for conv2d. A fully connected network therefore has exactly the tensors of
version 1.

Version 1 (`sizes`, `activation`; a fully connected network) still loads, as do `.npz` imports.
Loading trusts neither file: every tensor is checked against the shapes the architecture
implies (names, shapes, dtype, finiteness) before a network is built, and anything inconsistent
is refused with a `ModelFileError` saying what and where. Writes are atomic. Nothing is ever
unpickled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import safetensors
import safetensors.numpy

from nn_core.activations import ACTIVATIONS, OUTPUTS
from nn_core.atomic_files import atomic_write_bytes, atomic_writer
from nn_core.costs import COSTS
from nn_core.layers import describe_architecture, mlp_specs
from nn_core.network import NeuralNetwork
from nn_core.sequential import Sequential

FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
DTYPES = ("float32", "float64")
WEIGHTS_SUFFIX = ".safetensors"
METADATA_SUFFIX = ".json"
MAX_METADATA_BYTES = 16 * 1024 * 1024
"""A metadata file is a few kilobytes; anything this big is not one."""
HEADER_METADATA = {"format": "hippo-network", "format_version": str(FORMAT_VERSION)}
"""Written into the safetensors header too, so the weights file says what it is on its own."""


class ModelFileError(ValueError):
    """A model file is missing, malformed, or inconsistent with its metadata (or with a network)."""


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ModelFileError(message)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _choice(data: Mapping[str, Any], key: str, choices: tuple[str, ...]) -> str:
    value = data.get(key)
    _require(
        isinstance(value, str) and value in choices,
        f"unknown {key} {value!r}; expected one of {', '.join(choices)}",
    )
    return str(value)


@dataclass
class ModelMetadata:
    """What a weights file means and how it was made (the `<stem>.json` file).

    A fully connected network can be described by `sizes` and `activation` alone (the layers
    follow); any other network by `layers` and `input_shape`, from which `sizes` (the input's
    size, then each layer with parameters' output size) is derived.

    Attributes:
        name: The model's name (slug), e.g. `mnist-784-100-10-relu-97`.
        sizes: Input size, then the output size of every layer with parameters, e.g.
            `[784, 100, 10]`.
        activation: Hidden-layer activation (`nn_core.activations.ACTIVATIONS`).
        output: Output activation (`softmax` or `sigmoid`).
        cost: `cross_entropy` or `quadratic`.
        dtype: `float32` or `float64`, the dtype of every tensor.
        format_version: Version of this file format.
        metrics: test_accuracy (percent), validation_accuracy, test_loss, per_class_accuracy [10],
            confusion_matrix [10][10], ...
        training: config, history, seed, dataset checksums, duration_seconds, library_versions,
            best_epoch, interrupted, ...
        description: Free text.
        created_at: ISO 8601 UTC timestamp.
        layers: The architecture as layer specs (default: the fully connected `sizes`).
        input_shape: One sample's shape (default: `[sizes[0]]`).
    """

    name: str
    sizes: list[int]
    activation: str
    output: str
    cost: str
    dtype: str
    format_version: int = FORMAT_VERSION
    metrics: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    created_at: str = field(default_factory=_utc_now)
    layers: list[dict[str, Any]] = field(default_factory=list)
    input_shape: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.layers:
            self.layers = mlp_specs(self.sizes, self.activation)
        if not self.input_shape:
            self.input_shape = [self.sizes[0]] if self.sizes else []

    @classmethod
    def for_network(cls, network: Sequential, name: str, **fields: Any) -> ModelMetadata:
        """Metadata describing ``network`` (architecture, output, cost, dtype) named ``name``."""
        return cls(
            name=name,
            sizes=list(network.sizes),
            activation=network.activation,
            output=network.output,
            cost=network.cost,
            dtype=np.dtype(network.dtype).name,
            layers=network.specs(),
            input_shape=list(network.input_shape),
            **fields,
        )

    @property
    def is_mlp(self) -> bool:
        """Whether this is a fully connected network of `sizes` with one hidden activation."""
        return len(self.input_shape) == 1 and self.layers == mlp_specs(self.sizes, self.activation)

    def skeleton(self) -> Sequential:
        """A network of this architecture (freshly initialised parameters).

        Raises:
            ModelFileError: The layers do not fit together or do not give `sizes`.
        """
        try:
            if self.is_mlp:
                return NeuralNetwork(
                    self.sizes, self.activation, self.output, self.cost, dtype=self.dtype
                )
            network = Sequential(
                self.layers, self.input_shape, self.output, self.cost, dtype=self.dtype
            )
        except ValueError as exc:
            raise ModelFileError(f"invalid architecture: {exc}") from None
        return network

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict, keys in a stable, readable order."""
        return {
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "description": self.description,
            "created_at": self.created_at,
            "input_shape": list(self.input_shape),
            "layers": [dict(spec) for spec in self.layers],
            "sizes": list(self.sizes),
            "activation": self.activation,
            "output": self.output,
            "cost": self.cost,
            "dtype": self.dtype,
            "metrics": self.metrics,
            "training": self.training,
        }

    def to_json(self) -> str:
        """Serialise as strict JSON (no NaN/Infinity), validating first.

        Raises:
            ModelFileError: A field is invalid, or metrics/training hold non-JSON values.
        """
        ModelMetadata.from_dict(self.to_dict())
        try:
            return json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"
        except (TypeError, ValueError) as exc:
            raise ModelFileError(f"metadata of {self.name!r} is not valid JSON: {exc}") from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelMetadata:
        """Validate a parsed metadata dict and build the metadata.

        Raises:
            ModelFileError: A missing or invalid field, or an unsupported format version.
        """
        _require(isinstance(data, Mapping), "metadata must be a JSON object")
        version = data.get("format_version")
        _require(_is_int(version), f"format_version must be an integer, got {version!r}")
        _require(
            version in READABLE_VERSIONS,
            f"unsupported format_version {version}; this version of Hippo reads format_version "
            f"{' and '.join(str(v) for v in READABLE_VERSIONS)}",
        )
        name = data.get("name")
        _require(isinstance(name, str) and name.strip() != "", "name must be a non-empty string")
        if version == 1:
            sizes = _sizes(data.get("sizes"))
            layers: list[dict[str, Any]] = []
            input_shape: list[int] = []
        else:
            layers = data.get("layers")  # type: ignore[assignment]
            _require(
                isinstance(layers, list) and all(isinstance(spec, dict) for spec in layers),
                f"layers must be a list of layer specs, got {layers!r}",
            )
            input_shape = data.get("input_shape")  # type: ignore[assignment]
            _require(
                isinstance(input_shape, list)
                and len(input_shape) in (1, 3)
                and all(_is_int(n) and n >= 1 for n in input_shape),
                f"input_shape must be [features] or [channels, height, width], got {input_shape!r}",
            )
            sizes = _sizes(data["sizes"]) if "sizes" in data else []
        metrics = data.get("metrics", {})
        training = data.get("training", {})
        _require(isinstance(metrics, dict), "metrics must be a JSON object")
        _require(isinstance(training, dict), "training must be a JSON object")
        description = data.get("description", "")
        _require(isinstance(description, str), "description must be a string")
        created_at = data.get("created_at", "")
        _require(isinstance(created_at, str), "created_at must be an ISO 8601 string")
        if created_at:
            try:
                dt.datetime.fromisoformat(created_at)
            except ValueError:
                raise ModelFileError(f"created_at {created_at!r} is not ISO 8601") from None
        output = _choice(data, "output", OUTPUTS)
        cost = _choice(data, "cost", COSTS)
        dtype = _choice(data, "dtype", DTYPES)
        if version == 1 or "activation" in data:
            activation = _choice(data, "activation", ACTIVATIONS)
        else:
            activation = next(
                (str(s["function"]) for s in layers if s.get("type") == "activation"), "relu"
            )
        if version == 2:
            # The architecture must build (every layer fits the one before), and any sizes
            # written beside it must be the ones it gives.
            try:
                network = Sequential(layers, input_shape, output, cost, dtype=dtype)
            except ValueError as exc:
                raise ModelFileError(f"invalid architecture: {exc}") from None
            _require(
                not sizes or sizes == network.sizes,
                f"sizes {sizes} do not match the layers, which give {network.sizes}",
            )
            sizes = network.sizes
            layers = network.specs()
        return cls(
            name=str(name),
            sizes=[int(size) for size in sizes],
            activation=activation,
            output=output,
            cost=cost,
            dtype=dtype,
            format_version=FORMAT_VERSION,
            metrics=dict(metrics),
            training=dict(training),
            description=description,
            created_at=created_at,
            layers=layers,
            input_shape=[int(n) for n in input_shape],
        )

    @property
    def architecture(self) -> str:
        """The architecture in one word: `784-100-10` for a fully connected network.

        Any other network: the input shape and the layers' short form, e.g.
        `1x28x28-conv3x3x16-pool2-conv5x5x32-pool2-dense100-dropout0.3-dense10`.
        """
        return describe_architecture(self.sizes, self.activation, self.layers, self.input_shape)


def _sizes(sizes: Any) -> list[int]:
    _require(
        isinstance(sizes, list) and len(sizes) >= 2,
        f"sizes must be a list of at least two layer sizes, got {sizes!r}",
    )
    assert isinstance(sizes, list)
    _require(
        all(_is_int(size) and size >= 1 for size in sizes),
        f"sizes must be positive integers, got {sizes!r}",
    )
    return [int(size) for size in sizes]


@dataclass(frozen=True)
class LoadedModel:
    """A network rebuilt from files, with its metadata.

    `network` is a `NeuralNetwork` (with `weights` and `biases`) for a fully connected
    architecture, a `Sequential` otherwise.
    """

    network: Sequential
    metadata: ModelMetadata


def tensor_names(parameter_layers: int) -> list[str]:
    """The tensor names of a network with `parameter_layers` dense / conv2d layers."""
    names: list[str] = []
    for index in range(parameter_layers):
        names += [f"layers.{index}.weight", f"layers.{index}.bias"]
    return names


def metadata_path_for(weights_path: Path) -> Path:
    """`<stem>.json` beside `<stem>.safetensors`."""
    return Path(weights_path).with_suffix(METADATA_SUFFIX)


def _reject_constant(value: str) -> Any:
    raise ModelFileError(f"{value} is not valid in strict JSON")


def read_metadata(path: Path) -> ModelMetadata:
    """Read and validate a `<stem>.json` metadata file.

    Raises:
        ModelFileError: Missing, unreadable, not strict JSON, or invalid metadata.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_METADATA_BYTES + 1)
    except FileNotFoundError:
        raise ModelFileError(f"{path}: metadata file not found") from None
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read the metadata ({exc})") from None
    _require(len(raw) <= MAX_METADATA_BYTES, f"{path}: too large to be a metadata file")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: the metadata is not valid JSON ({exc})") from None
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: the metadata is not valid JSON ({exc})") from None
    try:
        return ModelMetadata.from_dict(data)
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: invalid metadata: {exc}") from None


def _build(metadata: ModelMetadata, tensors: Mapping[str, np.ndarray], origin: str) -> Sequential:
    """Check every tensor against the architecture's shapes; return the network built on them."""
    try:
        network = metadata.skeleton()
    except ModelFileError as exc:
        raise ModelFileError(f"{origin}: {exc}") from None
    layers = network.parameter_layers
    expected = tensor_names(len(layers))
    missing = [name for name in expected if name not in tensors]
    extra = sorted(set(tensors) - set(expected))
    _require(
        not missing,
        f"{origin}: missing tensors {', '.join(missing)} for architecture {metadata.architecture}",
    )
    _require(
        not extra,
        f"{origin}: unexpected tensors {', '.join(extra)} for architecture {metadata.architecture}",
    )
    dtype = np.dtype(metadata.dtype)
    parameters: list[list[np.ndarray]] = []
    for index, layer in enumerate(layers):
        arrays = []
        for kind, current in zip(("weight", "bias"), layer.params, strict=True):
            name = f"layers.{index}.{kind}"
            tensor = tensors[name]
            _require(
                tensor.dtype == dtype,
                f"{origin}: {name} is {tensor.dtype}, the metadata says {metadata.dtype}",
            )
            _require(
                tensor.shape == current.shape,
                f"{origin}: {name} has shape {tuple(tensor.shape)}, expected {current.shape} "
                f"for {layer.kind} layer {index} of {metadata.architecture}",
            )
            _require(
                bool(np.isfinite(tensor).all()),
                f"{origin}: {name} holds NaN or infinite values",
            )
            arrays.append(tensor)
        parameters.append(arrays)
    try:
        network.load_parameters(parameters)
    except ValueError as exc:
        raise ModelFileError(f"{origin}: {exc}") from None
    return network


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
    return _build(metadata, tensors, origin)


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


def _check_network(network: Sequential, metadata: ModelMetadata) -> None:
    """The metadata must describe this network exactly."""
    described = (
        list(metadata.sizes),
        metadata.activation,
        list(metadata.input_shape),
        metadata.layers,
        metadata.output,
        metadata.cost,
        np.dtype(metadata.dtype),
    )
    actual = (
        list(network.sizes),
        network.activation,
        list(network.input_shape),
        network.specs(),
        network.output,
        network.cost,
        np.dtype(network.dtype),
    )
    for label, said, really in zip(
        ("sizes", "activation", "input_shape", "layers", "output", "cost", "dtype"),
        described,
        actual,
        strict=True,
    ):
        _require(said == really, f"the metadata says {label} {said}, the network has {really}")


def _tensors(network: Sequential, metadata: ModelMetadata) -> dict[str, np.ndarray]:
    """The network's parameters as named contiguous arrays, checked like a loaded file."""
    tensors: dict[str, np.ndarray] = {}
    dtype = np.dtype(metadata.dtype)
    for index, layer in enumerate(network.parameter_layers):
        weight, bias = layer.params
        tensors[f"layers.{index}.weight"] = np.ascontiguousarray(weight, dtype=dtype)
        tensors[f"layers.{index}.bias"] = np.ascontiguousarray(bias, dtype=dtype)
    # Same checks as on load: a broken model is refused before anything is written.
    _build(metadata, tensors, "network")
    return tensors


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
    _require(
        weights_path.suffix == WEIGHTS_SUFFIX,
        f"{weights_path}: the weights file name must end in {WEIGHTS_SUFFIX}",
    )
    _check_network(network, metadata)
    tensors = _tensors(network, metadata)
    text = metadata.to_json()
    data = safetensors.numpy.save(tensors, metadata=HEADER_METADATA)
    metadata_path = metadata_path_for(weights_path)
    atomic_write_bytes(weights_path, data)
    atomic_write_bytes(metadata_path, text.encode("utf-8"))
    return weights_path, metadata_path


def export_npz(network: Sequential, path: Path) -> Path:
    """Write the parameters as an uncompressed `.npz` (same tensor names), atomically.

    Raises:
        ModelFileError: NaN or infinite parameters.
    """
    path = Path(path)
    metadata = ModelMetadata.for_network(network, path.stem or "model")
    tensors = _tensors(network, metadata)
    with atomic_writer(path) as handle:
        np.savez(handle, allow_pickle=False, **tensors)
    return path


def import_npz(path: Path, metadata: ModelMetadata) -> Sequential:
    """Build a network from an `.npz` holding `layers.{i}.weight` / `layers.{i}.bias`.

    Object arrays are refused (`allow_pickle=False`): nothing is ever unpickled.

    Raises:
        ModelFileError: Unreadable archive, object arrays, or tensors inconsistent with `metadata`.
    """
    path = Path(path)
    origin = str(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            tensors = {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise ModelFileError(f"{origin}: file not found") from None
    except ValueError as exc:
        # NumPy says "Object arrays cannot be loaded when allow_pickle=False".
        raise ModelFileError(f"{origin}: refused ({exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"{origin}: not a valid .npz archive ({exc})") from None
    return _build(metadata, tensors, origin)


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes, as lowercase hex (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


__all__ = [
    "DTYPES",
    "FORMAT_VERSION",
    "READABLE_VERSIONS",
    "LoadedModel",
    "ModelFileError",
    "ModelMetadata",
    "export_npz",
    "import_npz",
    "load_model",
    "metadata_path_for",
    "network_from_safetensors",
    "read_metadata",
    "save_model",
    "sha256_file",
    "tensor_names",
]
