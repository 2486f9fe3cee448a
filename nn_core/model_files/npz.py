"""`.npz` import and export of a network's parameters (the tensor names of model files).

Object arrays are refused when importing (`allow_pickle=False`): nothing is ever unpickled.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from nn_core.atomic_files import atomic_writer
from nn_core.model_files.metadata import ModelFileError, ModelMetadata
from nn_core.model_files.tensors import build_network, network_tensors
from nn_core.sequential import Sequential


def export_npz(network: Sequential, path: Path) -> Path:
    """Write the parameters as an uncompressed `.npz` (same tensor names), atomically.

    Raises:
        ModelFileError: NaN or infinite parameters.
    """
    path = Path(path)
    metadata = ModelMetadata.for_network(network, path.stem or "model")
    tensors = network_tensors(network, metadata)
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
    return build_network(metadata, tensors, origin)
