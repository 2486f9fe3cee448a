"""The one hyperparameter object: validation names and messages, JSON round trip, old metadata."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from nn_core.hyperparameters import HyperparameterError, Hyperparameters, frozen_specs
from nn_core.layers import parse_layers


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"epochs": 0}, "epochs", "must be a positive integer, got 0"),
        ({"mini_batch_size": 0}, "mini_batch_size", "must be a positive integer, got 0"),
        ({"learning_rate": float("nan")}, "learning_rate", "must be a positive number, got nan"),
        ({"learning_rate": -1.0}, "learning_rate", "must be a positive number, got -1.0"),
        ({"momentum": 1.0}, "momentum", "must be in [0, 1), got 1.0"),
        ({"beta2": 1.5}, "beta2", "must be in [0, 1), got 1.5"),
        ({"l2": -1e-4}, "l2", "must be zero or a positive number, got -0.0001"),
        (
            {"optimizer": "rmsprop"},
            "optimizer",
            "must be one of sgd, momentum, adam; got 'rmsprop'",
        ),
        ({"seed": -1}, "seed", "must be in 0..4294967295, got -1"),
        ({"limit_train": 0}, "limit_train", "must be a positive integer, got 0"),
        ({"sizes": (784, 10, 9)}, "sizes", "must end with 10 (one output per digit), got 9"),
        ({"activation": "swish"}, "activation", "must be one of"),
        ({"dropout": 1.0}, "dropout", "must be in [0, 1), got 1.0"),
        (
            {"layers": frozen_specs(parse_layers("conv29x29x8,dense10"))},
            "layers",
            "do not fit together: layer 0 (conv2d)",
        ),
    ],
)
def test_every_invalid_value_names_its_field(
    changes: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(HyperparameterError) as caught:
        Hyperparameters(**changes).validate()
    assert caught.value.field == field
    assert caught.value.reason.startswith(reason)
    assert str(caught.value) == f"{field} {caught.value.reason}"


def test_the_defaults_are_the_fast_recipe_and_valid() -> None:
    recipe = Hyperparameters()
    recipe.validate()
    assert (recipe.sizes, recipe.optimizer, recipe.learning_rate, recipe.mini_batch_size) == (
        (784, 100, 10),
        "momentum",
        0.05,
        32,
    )


@pytest.mark.parametrize(
    "hyperparameters",
    [
        Hyperparameters(),
        Hyperparameters(seed=7, limit_train=1000, l2=2e-4, schedule="step", beta1=0.8),
        Hyperparameters(
            layers=frozen_specs(parse_layers("conv5x5x8,pool2,dense32,dropout0.5,dense10")),
            dropout=0.25,
            augment=True,
            optimizer="adam",
            learning_rate=0.002,
        ),
    ],
)
def test_json_round_trip_is_lossless(hyperparameters: Hyperparameters) -> None:
    text = hyperparameters.to_json()
    again = Hyperparameters.from_json(text)
    assert again == hyperparameters
    assert again.to_json() == text
    assert list(json.loads(text)) == [f.name for f in dataclasses.fields(Hyperparameters)]


def test_an_older_metadata_config_still_reads() -> None:
    # What TrainingConfig.to_dict wrote before the object moved to nn_core (no beta1/beta2),
    # and the training loop's old name for the mini-batch size.
    older = {
        "sizes": [784, 100, 10],
        "activation": "relu",
        "output": "softmax",
        "cost": "cross_entropy",
        "epochs": 30,
        "mini_batch_size": 32,
        "learning_rate": 0.05,
        "optimizer": "momentum",
        "momentum": 0.9,
        "l2": 0.0002,
        "schedule": "cosine",
        "seed": 0,
        "limit_train": None,
        "layers": None,
        "dropout": 0.0,
        "augment": False,
    }
    assert Hyperparameters.from_dict(older) == Hyperparameters(seed=0)
    assert Hyperparameters.from_dict({"batch_size": 64}).mini_batch_size == 64


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(HyperparameterError, match="mini_batch is not a hyperparameter"):
        Hyperparameters.from_dict({"mini_batch": 10})
