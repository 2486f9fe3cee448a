"""The training run as plain functions: check a configuration, train, evaluate, write the files.

The management commands (``train_mnist``, ``ensure_model``) are thin wrappers around these
functions, so that tests and other callers drive exactly the same code. This module is the
facade; each part has a module of its own: :mod:`training.config` (the configuration and the
recipes), :mod:`training.run` (one run), :mod:`training.names` (model names) and
:mod:`training.artifacts` (the files a run writes). Nothing inside ``training`` imports this
module.
"""

from __future__ import annotations

from nn_core.constants import IMAGE_SHAPE, INPUT_SIZE, NUM_CLASSES
from training.artifacts import (
    ModelFiles,
    build_metadata,
    hippo_version,
    library_versions,
    write_model_files,
)
from training.config import (
    ARCH_RECIPES,
    BEST_RECIPE,
    FAST_RECIPE,
    RECIPE_FIELDS,
    SCHEDULE_CHOICES,
    ConfigError,
    TrainingConfig,
    command_line_message,
    flag_for,
    frozen_specs,
    layers_from_text,
    recipe_value,
)
from training.names import (
    NAME_PATTERN,
    NameTaken,
    check_model_name,
    check_name_is_free,
    default_model_name,
    free_name,
    name_is_taken,
)
from training.run import (
    BatchCallback,
    EpochCallback,
    NothingToSave,
    TrainingResult,
    build_network,
    evaluate,
    run_training,
)

OUTPUT_SIZE = NUM_CLASSES
"""The old name of :data:`nn_core.constants.NUM_CLASSES` here."""

__all__ = [
    "ARCH_RECIPES",
    "BEST_RECIPE",
    "FAST_RECIPE",
    "IMAGE_SHAPE",
    "INPUT_SIZE",
    "NAME_PATTERN",
    "OUTPUT_SIZE",
    "RECIPE_FIELDS",
    "SCHEDULE_CHOICES",
    "BatchCallback",
    "ConfigError",
    "EpochCallback",
    "ModelFiles",
    "NameTaken",
    "NothingToSave",
    "TrainingConfig",
    "TrainingResult",
    "build_metadata",
    "build_network",
    "check_model_name",
    "check_name_is_free",
    "command_line_message",
    "default_model_name",
    "evaluate",
    "flag_for",
    "free_name",
    "frozen_specs",
    "hippo_version",
    "layers_from_text",
    "library_versions",
    "name_is_taken",
    "recipe_value",
    "run_training",
    "write_model_files",
]
