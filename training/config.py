"""A training run's configuration: the hyperparameter object, the recipes and the ``--layers`` text.

The configuration *is* :class:`nn_core.hyperparameters.Hyperparameters` (``TrainingConfig`` is
its name here, kept for the callers that know it); this module adds what only training on MNIST
from the command line needs: the documented recipes and reading ``--layers``.
"""

from __future__ import annotations

import json
from pathlib import Path

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
    "BEST_RECIPE",
    "FAST_RECIPE",
    "SCHEDULE_CHOICES",
    "ConfigError",
    "TrainingConfig",
    "command_line_message",
    "flag_for",
    "frozen_specs",
    "layers_from_text",
]
