"""Tensors of a model: their names, and the check that they fit the architecture.

The tensors are named per layer with parameters, counting only those layers:
`layers.{l}.weight` and `layers.{l}.bias` for the l-th dense or conv2d layer — (out, in) and
(out,) for dense, (filters, channels, kh, kw) and (filters,) for conv2d. A fully connected
network therefore has exactly the tensors of format version 1. Tensors are trusted in no way:
names, shapes, dtype and finiteness are checked against the metadata's architecture before a
network is built on them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from nn_core.model_files.metadata import ModelFileError, ModelMetadata, require
from nn_core.sequential import Sequential


def tensor_names(parameter_layers: int) -> list[str]:
    """The tensor names of a network with `parameter_layers` dense / conv2d layers."""
    names: list[str] = []
    for index in range(parameter_layers):
        names += [f"layers.{index}.weight", f"layers.{index}.bias"]
    return names


def build_network(
    metadata: ModelMetadata, tensors: Mapping[str, np.ndarray], origin: str
) -> Sequential:
    """Check every tensor against the architecture's shapes; return the network built on them."""
    try:
        network = metadata.skeleton()
    except ModelFileError as exc:
        raise ModelFileError(f"{origin}: {exc}") from None
    layers = network.parameter_layers
    expected = tensor_names(len(layers))
    missing = [name for name in expected if name not in tensors]
    extra = sorted(set(tensors) - set(expected))
    require(
        not missing,
        f"{origin}: missing tensors {', '.join(missing)} for architecture {metadata.architecture}",
    )
    require(
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
            require(
                tensor.dtype == dtype,
                f"{origin}: {name} is {tensor.dtype}, the metadata says {metadata.dtype}",
            )
            require(
                tensor.shape == current.shape,
                f"{origin}: {name} has shape {tuple(tensor.shape)}, expected {current.shape} "
                f"for {layer.kind} layer {index} of {metadata.architecture}",
            )
            require(
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


def check_network(network: Sequential, metadata: ModelMetadata) -> None:
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
        require(said == really, f"the metadata says {label} {said}, the network has {really}")


def network_tensors(network: Sequential, metadata: ModelMetadata) -> dict[str, np.ndarray]:
    """The network's parameters as named contiguous arrays, checked like a loaded file."""
    tensors: dict[str, np.ndarray] = {}
    dtype = np.dtype(metadata.dtype)
    for index, layer in enumerate(network.parameter_layers):
        weight, bias = layer.params
        tensors[f"layers.{index}.weight"] = np.ascontiguousarray(weight, dtype=dtype)
        tensors[f"layers.{index}.bias"] = np.ascontiguousarray(bias, dtype=dtype)
    # Same checks as on load: a broken model is refused before anything is written.
    build_network(metadata, tensors, "network")
    return tensors
