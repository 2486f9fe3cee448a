"""One object for everything that defines a training run: the architecture and the training options.

:class:`Hyperparameters` is what :meth:`nn_core.sequential.Sequential.train` builds from its
arguments, what ``manage.py train_mnist`` builds from its flags, and what a model file's
metadata records under ``training.config`` (:meth:`Hyperparameters.to_dict`). Its field names
are the only names: ``mini_batch_size`` (never ``batch_size``), ``learning_rate`` (η),
``output`` (the output activation).

Validation has one set of messages, written for people: each :class:`HyperparameterError`
names its field and says what would be valid, e.g. ``field="mini_batch_size"``, ``reason="must
be a positive integer, got 0"``; ``str(error)`` is the field's name followed by the reason.
A command-line front end puts its flag in front of the reason instead, a form shows the reason
beside the field.

The defaults are the fast recipe of docs/TRAINING.md (784-100-10 ReLU, momentum SGD, η = 0.05,
mini-batches of 32, L2 2e-4, a cosine schedule over 30 epochs, no gradient clipping).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nn_core.activations import ACTIVATIONS, OUTPUTS
from nn_core.constants import IMAGE_SHAPE, INPUT_SIZE, NUM_CLASSES
from nn_core.costs import COSTS
from nn_core.layers import mlp_specs, short_form
from nn_core.layers.stack import build_stack
from nn_core.optimizers import OPTIMIZERS
from nn_core.schedules import SCHEDULES

SCHEDULE_CHOICES: tuple[str, ...] = tuple(s for s in SCHEDULES if s is not None)
"""Schedules by name (``constant`` is the original Hippo's fixed rate)."""

SEED_LIMIT = 2**32
"""Seeds lie in 0 … 2³² − 1 (what NumPy's generators take and a JSON number holds exactly)."""

FrozenSpecs = tuple[tuple[tuple[str, Any], ...], ...]
"""Layer specs in a hashable form: one tuple of (key, value) pairs per layer, lists as tuples."""

OLD_NAMES: dict[str, str] = {"batch_size": "mini_batch_size", "eta": "learning_rate"}
"""Names that older metadata and the training loop's old options used, and today's name."""


class HyperparameterError(ValueError):
    """A hyperparameter value that cannot work.

    Attributes:
        field: The field's name, e.g. ``"mini_batch_size"``.
        reason: What is wrong and what would be valid, phrased to follow the field's name
            (``"must be a positive integer, got 0"``).
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field} {reason}")
        self.field = field
        self.reason = reason


def frozen_specs(specs: list[dict[str, Any]]) -> FrozenSpecs:
    """Layer specs in the hashable form :class:`Hyperparameters` keeps (lists become tuples)."""
    return tuple(
        tuple(
            (key, tuple(value) if isinstance(value, list) else value) for key, value in spec.items()
        )
        for spec in specs
    )


def _thaw(spec: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    return {key: list(value) if isinstance(value, tuple) else value for key, value in spec}


@dataclass(frozen=True)
class Hyperparameters:
    """The network and the options of one training run (frozen: a value, safe to share).

    Architecture: a fully connected network is ``sizes`` and ``activation``; any other is
    ``layers`` (layer specs, see :mod:`nn_core.layers.specs`; ``sizes`` is then ignored).
    ``dropout`` adds a dropout layer of that rate after every hidden layer of a ``sizes``
    network, or sets the rate of every dropout layer of ``layers``.

    Attributes:
        sizes: Fully connected layer sizes, input first.
        activation: Hidden-layer activation.
        output: Output activation ("softmax" or "sigmoid").
        cost: "cross_entropy" or "quadratic".
        layers: Any architecture as layer specs, or None for ``sizes``.
        dropout: Dropout rate in [0, 1).
        epochs: Passes over the training data.
        mini_batch_size: Samples per gradient step.
        learning_rate: η, the base rate of the schedule.
        optimizer: "sgd", "momentum" or "adam".
        momentum: μ of "momentum", in [0, 1).
        beta1: β₁ of "adam", in [0, 1).
        beta2: β₂ of "adam", in [0, 1).
        l2: The L2 weight-decay coefficient λ ≥ 0 (cost + (λ/2)Σw²).
        schedule: "constant", "step" or "cosine" (per epoch).
        seed: Seed of the initial weights, the shuffling, dropout and augmentation; None draws
            one (the run records the one it drew).
        limit_train: Train on the first N training samples only; None for all.
        augment: Distort every training batch (:mod:`nn_core.augmentation`).
        clip_norm: τ of gradient-norm clipping (:mod:`nn_core.clipping`): before every step
            the gradients of all parameters, taken as one vector, are scaled down to norm τ when
            longer; None never clips. For recurrent networks, whose gradients can explode
            through time; a positive number.
    """

    sizes: tuple[int, ...] = (INPUT_SIZE, 100, NUM_CLASSES)
    activation: str = "relu"
    output: str = "softmax"
    cost: str = "cross_entropy"
    epochs: int = 30
    mini_batch_size: int = 32
    learning_rate: float = 0.05
    optimizer: str = "momentum"
    momentum: float = 0.9
    l2: float = 2e-4
    schedule: str = "cosine"
    seed: int | None = None
    limit_train: int | None = None
    layers: FrozenSpecs | None = None
    dropout: float = 0.0
    augment: bool = False
    beta1: float = 0.9
    beta2: float = 0.999
    clip_norm: float | None = None

    # ------------------------------------------------------------------------------------------
    # The architecture
    # ------------------------------------------------------------------------------------------

    @property
    def is_plain_mlp(self) -> bool:
        """Whether the network is ``sizes`` with one activation and nothing else."""
        return self.layers is None and not self.dropout

    def layer_specs(self) -> list[dict[str, Any]]:
        """The architecture as layer specs (dropout applied)."""
        if self.layers is None:
            specs = mlp_specs(self.sizes, self.activation)
            if not self.dropout:
                return specs
            with_dropout: list[dict[str, Any]] = []
            for spec in specs:
                with_dropout.append(spec)
                if spec["type"] == "activation":
                    with_dropout.append({"type": "dropout", "rate": self.dropout})
            return with_dropout
        specs = [_thaw(spec) for spec in self.layers]
        if self.dropout:
            for spec in specs:
                if spec["type"] == "dropout":
                    spec["rate"] = self.dropout
        return specs

    @property
    def uses_activation(self) -> bool:
        """Whether ``activation`` is used anywhere in the network.

        False for e.g. ``lstm128,dense10``, whose only nonlinearities are the recurrent layer's
        own (and the output's).
        """
        if self.layers is None:
            return True
        return any(spec["type"] == "activation" for spec in self.layer_specs())

    @property
    def input_shape(self) -> list[int]:
        """[784] for fully connected networks, [1, 28, 28] when the first layer is spatial."""
        first = self.layer_specs()[0]["type"]
        return list(IMAGE_SHAPE) if first in ("conv2d", "maxpool2d") else [INPUT_SIZE]

    @property
    def architecture(self) -> str:
        """``784-100-10`` for a plain MLP; the layers' short form otherwise."""
        if self.is_plain_mlp:
            return "-".join(str(s) for s in self.sizes)
        if self.layers is None:
            return "-".join(str(s) for s in self.sizes) + f"-dropout{self.dropout:g}"
        return short_form(self.layer_specs())

    # ------------------------------------------------------------------------------------------
    # Validation
    # ------------------------------------------------------------------------------------------

    def validate(self) -> None:
        """Check the architecture (an MNIST classifier) and the training options.

        Raises:
            HyperparameterError: The first invalid field, with what would be valid.
        """
        self.validate_architecture()
        self.validate_training()

    def validate_architecture(self) -> None:
        """Check that the architecture builds and maps 784 pixels to ten digits.

        Raises:
            HyperparameterError: The first invalid field, with what would be valid.
        """
        sizes = list(self.sizes)
        if len(sizes) < 2:
            raise HyperparameterError(
                "sizes", f"needs at least an input and an output layer, got {sizes}"
            )
        if any(s <= 0 for s in sizes):
            raise HyperparameterError("sizes", f"must all be positive, got {sizes}")
        if sizes[0] != INPUT_SIZE:
            raise HyperparameterError(
                "sizes", f"must start with {INPUT_SIZE} (28x28 MNIST pixels), got {sizes[0]}"
            )
        if sizes[-1] != NUM_CLASSES:
            raise HyperparameterError(
                "sizes", f"must end with {NUM_CLASSES} (one output per digit), got {sizes[-1]}"
            )
        _check_choice("activation", self.activation, ACTIVATIONS)
        _check_choice("output", self.output, OUTPUTS)
        _check_choice("cost", self.cost, COSTS)
        if not (math.isfinite(self.dropout) and 0 <= self.dropout < 1):
            raise HyperparameterError("dropout", f"must be in [0, 1), got {self.dropout}")
        if self.layers is not None:
            try:
                # A throwaway generator: building draws parameters, and the run's must not move.
                stack = build_stack(
                    self.layer_specs(),
                    self.input_shape,
                    np.random.default_rng(0),
                    np.dtype(np.float32),
                )
            except ValueError as exc:
                raise HyperparameterError("layers", f"do not fit together: {exc}") from None
            if stack.sizes[-1] != NUM_CLASSES:
                raise HyperparameterError(
                    "layers",
                    f"must end with dense{NUM_CLASSES} (one output per digit), "
                    f"got {stack.sizes[-1]} outputs",
                )

    def validate_training(self) -> None:
        """Check the training options (any architecture: used by ``Sequential.train``).

        Raises:
            HyperparameterError: The first invalid field, with what would be valid.
        """
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_choice("schedule", self.schedule, SCHEDULE_CHOICES)
        if not _is_int(self.epochs) or self.epochs <= 0:
            raise HyperparameterError("epochs", f"must be a positive integer, got {self.epochs}")
        if not _is_int(self.mini_batch_size) or self.mini_batch_size <= 0:
            raise HyperparameterError(
                "mini_batch_size", f"must be a positive integer, got {self.mini_batch_size}"
            )
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise HyperparameterError(
                "learning_rate", f"must be a positive number, got {self.learning_rate}"
            )
        for name in ("momentum", "beta1", "beta2"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 <= value < 1):
                raise HyperparameterError(name, f"must be in [0, 1), got {value}")
        if self.clip_norm is not None and not (
            isinstance(self.clip_norm, int | float | np.floating)
            and not isinstance(self.clip_norm, bool)
            and math.isfinite(self.clip_norm)
            and self.clip_norm > 0
        ):
            raise HyperparameterError(
                "clip_norm", f"must be a positive number (or none), got {self.clip_norm}"
            )
        if not (math.isfinite(self.l2) and self.l2 >= 0):
            raise HyperparameterError("l2", f"must be zero or a positive number, got {self.l2}")
        if self.seed is not None and not (_is_int(self.seed) and 0 <= self.seed < SEED_LIMIT):
            raise HyperparameterError("seed", f"must be in 0..{SEED_LIMIT - 1}, got {self.seed}")
        if self.limit_train is not None and (
            not _is_int(self.limit_train) or self.limit_train <= 0
        ):
            raise HyperparameterError(
                "limit_train", f"must be a positive integer, got {self.limit_train}"
            )

    # ------------------------------------------------------------------------------------------
    # JSON
    # ------------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values, keys in field order (so that the same run writes the same bytes)."""
        data = dataclasses.asdict(self)
        data["sizes"] = list(self.sizes)
        data["layers"] = None if self.layers is None else [_thaw(spec) for spec in self.layers]
        return data

    def to_json(self) -> str:
        """:meth:`to_dict` as compact JSON; :meth:`from_json` gives back an equal object."""
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Hyperparameters:
        """The object :meth:`to_dict` describes, also from older metadata.

        Older files wrote fewer fields (those missing take their defaults) and some under old
        names (:data:`OLD_NAMES`). Unknown keys are refused, so that a typo is never silently a
        default. The values are not validated: call :meth:`validate`.

        Raises:
            HyperparameterError: An unknown key or a value of the wrong type.
        """
        names = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            name = OLD_NAMES.get(key, key)
            if name not in names:
                raise HyperparameterError(key, "is not a hyperparameter")
            values[name] = value
        if "sizes" in values:
            values["sizes"] = _int_tuple("sizes", values["sizes"])
        if values.get("layers") is not None:
            layers = values["layers"]
            if not isinstance(layers, list) or not all(isinstance(s, dict) for s in layers):
                raise HyperparameterError("layers", "must be a list of layer specs")
            values["layers"] = frozen_specs(layers)
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> Hyperparameters:
        """The object :meth:`to_json` wrote.

        Raises:
            HyperparameterError: Not a JSON object, or as :meth:`from_dict`.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise HyperparameterError("hyperparameters", f"are not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise HyperparameterError("hyperparameters", "must be a JSON object")
        return cls.from_dict(data)


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _int_tuple(field: str, value: Any) -> tuple[int, ...]:
    if not isinstance(value, list | tuple) or not all(_is_int(n) for n in value):
        raise HyperparameterError(field, f"must be a list of integers, got {value!r}")
    return tuple(int(n) for n in value)


def _check_choice(field: str, value: object, choices: tuple[str | None, ...]) -> None:
    valid = [c for c in choices if c]
    if value not in valid:
        raise HyperparameterError(field, f"must be one of {', '.join(valid)}; got {value!r}")


__all__ = [
    "OLD_NAMES",
    "SCHEDULE_CHOICES",
    "SEED_LIMIT",
    "FrozenSpecs",
    "HyperparameterError",
    "Hyperparameters",
    "frozen_specs",
]
