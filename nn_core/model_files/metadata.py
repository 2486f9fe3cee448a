"""The metadata of a model file (`<stem>.json`): what the tensors mean and how they were made.

Format version 2 (written since the networks became layers): the metadata carries the
architecture as `input_shape` ([784], or [channels, height, width]) and `layers`, a list of
layer specs (`nn_core.layers.specs`), plus `output`, `cost` and `dtype`; `sizes` and
`activation` are still written (derived) for readers that show them. Version 1 (`sizes`,
`activation`; a fully connected network) still loads. Reading validates every field and refuses
anything inconsistent with a `ModelFileError` saying what and where.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nn_core.activations import ACTIVATIONS, OUTPUTS
from nn_core.costs import COSTS
from nn_core.layers import describe_architecture, mlp_specs
from nn_core.network import NeuralNetwork
from nn_core.sequential import Sequential

FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
DTYPES = ("float32", "float64")
METADATA_SUFFIX = ".json"
MAX_METADATA_BYTES = 16 * 1024 * 1024
"""A metadata file is a few kilobytes; anything this big is not one."""


class ModelFileError(ValueError):
    """A model file is missing, malformed, or inconsistent with its metadata (or with a network)."""


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def require(condition: bool, message: str) -> None:
    """Raise a :class:`ModelFileError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise ModelFileError(message)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _choice(data: Mapping[str, Any], key: str, choices: tuple[str, ...]) -> str:
    value = data.get(key)
    require(
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
        require(isinstance(data, Mapping), "metadata must be a JSON object")
        version = data.get("format_version")
        require(_is_int(version), f"format_version must be an integer, got {version!r}")
        require(
            version in READABLE_VERSIONS,
            f"unsupported format_version {version}; this version of Hippo reads format_version "
            f"{' and '.join(str(v) for v in READABLE_VERSIONS)}",
        )
        name = data.get("name")
        require(isinstance(name, str) and name.strip() != "", "name must be a non-empty string")
        if version == 1:
            sizes = _sizes(data.get("sizes"))
            layers: list[dict[str, Any]] = []
            input_shape: list[int] = []
        else:
            layers = data.get("layers")  # type: ignore[assignment]
            require(
                isinstance(layers, list) and all(isinstance(spec, dict) for spec in layers),
                f"layers must be a list of layer specs, got {layers!r}",
            )
            input_shape = data.get("input_shape")  # type: ignore[assignment]
            require(
                isinstance(input_shape, list)
                and len(input_shape) in (1, 3)
                and all(_is_int(n) and n >= 1 for n in input_shape),
                f"input_shape must be [features] or [channels, height, width], got {input_shape!r}",
            )
            sizes = _sizes(data["sizes"]) if "sizes" in data else []
        metrics = data.get("metrics", {})
        training = data.get("training", {})
        require(isinstance(metrics, dict), "metrics must be a JSON object")
        require(isinstance(training, dict), "training must be a JSON object")
        description = data.get("description", "")
        require(isinstance(description, str), "description must be a string")
        created_at = data.get("created_at", "")
        require(isinstance(created_at, str), "created_at must be an ISO 8601 string")
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
            require(
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
    require(
        isinstance(sizes, list) and len(sizes) >= 2,
        f"sizes must be a list of at least two layer sizes, got {sizes!r}",
    )
    assert isinstance(sizes, list)
    require(
        all(_is_int(size) and size >= 1 for size in sizes),
        f"sizes must be positive integers, got {sizes!r}",
    )
    return [int(size) for size in sizes]


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
    require(len(raw) <= MAX_METADATA_BYTES, f"{path}: too large to be a metadata file")
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
