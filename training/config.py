"""A training run's configuration: the hyperparameter object, the recipes and the ``--layers`` text.

The configuration *is* :class:`nn_core.hyperparameters.Hyperparameters` (``TrainingConfig`` is
its name here, kept for the callers that know it); this module adds what only training on MNIST
from the command line needs: the documented recipes and reading ``--layers``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nn_core.hyperparameters import (
    SCHEDULE_CHOICES,
    FrozenSpecs,
    HyperparameterError,
    Hyperparameters,
    frozen_specs,
)
from nn_core.layers import PRESETS, parse_layers

TrainingConfig = Hyperparameters
"""The configuration of a training run (the one hyperparameter object of ``nn_core``)."""

ConfigError = HyperparameterError
"""A configuration that cannot work; ``field`` names the value and ``reason`` says why."""

FLAGS: dict[str, str] = {"output": "--output-layer"}
"""Command-line flags whose name is not ``--`` + the field's name with dashes."""

# The fast recipe is the defaults; the best recipe trades two minutes for accuracy. Both are
# measured in docs/TRAINING.md.
FAST_RECIPE = TrainingConfig()
BEST_RECIPE = TrainingConfig(
    sizes=(784, 1024, 10), epochs=30, mini_batch_size=64, learning_rate=0.1, optimizer="momentum"
)


RECURRENT_RECIPE: dict[str, object] = {
    "optimizer": "adam",
    "learning_rate": 0.002,
    "mini_batch_size": 128,
    "l2": 0.0,
    "schedule": "cosine",
    "clip_norm": 5.0,
}
"""What the recurrent presets share: Adam, a cosine schedule, no L2, gradients clipped at 5."""

ARCH_RECIPES: dict[str, dict[str, object]] = {
    "rnn": {**RECURRENT_RECIPE, "epochs": 10, "clip_norm": 1.0},
    "lstm": {**RECURRENT_RECIPE, "epochs": 10, "augment": True},
    "gru": {**RECURRENT_RECIPE, "epochs": 10, "augment": True},
}
"""``train_mnist --arch NAME``: the training options the preset is trained with unless a flag
says otherwise (measured in docs/TRAINING.md, "Recurrent networks"). A preset not listed takes the
command's defaults (the fast recipe's options)."""

RECIPE_FIELDS: tuple[str, ...] = (
    "augment",
    "epochs",
    "mini_batch_size",
    "learning_rate",
    "optimizer",
    "l2",
    "schedule",
    "clip_norm",
)
"""The fields a preset's recipe may set (their flags default to "the recipe's, else the fast
recipe's" instead of a fixed value)."""


def recipe_value(field: str, given: Any, arch: str | None) -> Any:
    """A recipe field's value: the flag's when given, else the preset's recipe, else the default.

    Args:
        field: One of :data:`RECIPE_FIELDS`.
        given: The flag's value, None when the flag was not given.
        arch: The ``--arch`` preset, or None.
    """
    if given is not None:
        return given
    recipe = ARCH_RECIPES.get(arch or "", {})
    if field in recipe:
        return recipe[field]
    return getattr(FAST_RECIPE, field)


def flag_for(field: str) -> str:
    """The command-line flag of a field: ``mini_batch_size`` → ``--mini-batch-size``."""
    if field.startswith("--"):
        return field
    return FLAGS.get(field, "--" + field.replace("_", "-"))


def command_line_message(error: HyperparameterError) -> str:
    """The error as the command line says it: the field's flag, then the reason."""
    return f"{flag_for(error.field)} {error.reason}"


def layers_from_text(text: str, activation: str = "relu") -> FrozenSpecs:
    """``--layers``: the short form, a preset name, or the path of a JSON file of layer specs.

    Raises:
        ConfigError: An unreadable file or spec, naming the problem.
    """
    text = text.strip()
    if text in PRESETS:
        text = PRESETS[text]
    if text.endswith(".json"):
        try:
            specs = json.loads(Path(text).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(
                "--layers", f"{text}: cannot read the JSON layer list ({exc})"
            ) from None
        if not isinstance(specs, list) or not all(isinstance(spec, dict) for spec in specs):
            raise ConfigError("--layers", f"{text}: expected a JSON list of layer objects")
        return frozen_specs(specs)
    try:
        return frozen_specs(parse_layers(text, activation))
    except ValueError as exc:
        raise ConfigError("--layers", f"{exc}") from None


__all__ = [
    "ARCH_RECIPES",
    "BEST_RECIPE",
    "FAST_RECIPE",
    "RECIPE_FIELDS",
    "RECURRENT_RECIPE",
    "SCHEDULE_CHOICES",
    "ConfigError",
    "TrainingConfig",
    "command_line_message",
    "flag_for",
    "frozen_specs",
    "layers_from_text",
    "recipe_value",
]
