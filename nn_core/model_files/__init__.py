"""Model files: safetensors weights plus a JSON metadata file, and `.npz` import/export.

A model `<stem>` is two files side by side: `<stem>.safetensors` with the tensors and
`<stem>.json` with what the tensors mean and how the model was made (metrics, training
configuration and history). One module per part: :mod:`.metadata` (the JSON file and its
format versions), :mod:`.tensors` (names, and the checks against the architecture),
:mod:`.files` (reading and writing the pair) and :mod:`.npz` (import and export).
"""

from nn_core.model_files.files import (
    HEADER_METADATA,
    WEIGHTS_SUFFIX,
    LoadedModel,
    load_model,
    network_from_safetensors,
    save_model,
    sha256_file,
)
from nn_core.model_files.metadata import (
    DTYPES,
    FORMAT_VERSION,
    MAX_METADATA_BYTES,
    METADATA_SUFFIX,
    READABLE_VERSIONS,
    ModelFileError,
    ModelMetadata,
    metadata_path_for,
    read_metadata,
)
from nn_core.model_files.npz import export_npz, import_npz
from nn_core.model_files.tensors import tensor_names

__all__ = [
    "DTYPES",
    "FORMAT_VERSION",
    "HEADER_METADATA",
    "MAX_METADATA_BYTES",
    "METADATA_SUFFIX",
    "READABLE_VERSIONS",
    "WEIGHTS_SUFFIX",
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
