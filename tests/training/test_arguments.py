"""``train_mnist`` refuses invalid arguments at once, with a clear message, writing nothing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from nn_core.layers import PRESETS
from training.management.commands.train_mnist import Command, config_from_options, describe
from training.services import (
    ARCH_RECIPES,
    BEST_RECIPE,
    FAST_RECIPE,
    ConfigError,
    TrainingConfig,
    default_model_name,
)

BAD_ARGUMENTS = [
    (["--sizes", "785", "100", "10"], "must start with 784"),
    (["--sizes", "784", "100", "9"], "must end with 10"),
    (["--sizes", "784"], "at least an input and an output layer"),
    (["--sizes", "784", "0", "10"], "must all be positive"),
    (["--activation", "softsign"], "invalid choice: 'softsign'"),
    (["--output-layer", "linear"], "invalid choice: 'linear'"),
    (["--optimizer", "rmsprop"], "invalid choice: 'rmsprop'"),
    (["--learning-rate", "0"], "--learning-rate must be a positive number, got 0.0"),
    (["--learning-rate", "-3"], "--learning-rate must be a positive number"),
    (["--learning-rate", "nan"], "--learning-rate must be a positive number"),
    (["--epochs", "0"], "--epochs must be a positive integer, got 0"),
    (["--mini-batch-size", "-1"], "--mini-batch-size must be a positive integer"),
    (["--momentum", "1.5"], "--momentum must be in [0, 1)"),
    (["--l2", "-0.1"], "--l2 must be zero or a positive number"),
    (["--limit-train", "0"], "--limit-train must be a positive integer"),
    (["--epochs", "ten"], "invalid int value: 'ten'"),
    (["--name", "../escape"], "--name must be a name the registry can hold: model name"),
    (["--name", "a" * 101], "is 101 characters long: at most 100 are allowed"),
]


@pytest.mark.parametrize(("arguments", "message"), BAD_ARGUMENTS)
def test_invalid_arguments_fail_before_any_work(
    arguments: list[str], message: str, tmp_path: Path
) -> None:
    output = tmp_path / "models"
    with pytest.raises(CommandError) as excinfo:
        call_command("train_mnist", *arguments, "--output", str(output), verbosity=0)
    assert message in str(excinfo.value)
    assert not output.exists()


def test_output_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "models"
    target.write_text("not a directory")
    with pytest.raises(CommandError, match="is not a directory"):
        call_command("train_mnist", "--output", str(target), verbosity=0)


def test_defaults_are_a_valid_configuration() -> None:
    TrainingConfig().validate()
    BEST_RECIPE.validate()
    with pytest.raises(
        ConfigError, match="schedule must be one of constant, step, cosine"
    ) as caught:
        TrainingConfig(schedule="linear").validate()
    assert caught.value.field == "schedule"


@pytest.mark.parametrize(
    ("sizes", "activation", "accuracy", "name"),
    [
        ((784, 100, 10), "relu", 97.93, "mnist-784-100-10-relu-97"),
        ([784, 100, 10], "relu", 98.0, "mnist-784-100-10-relu-98"),
        ((784, 30, 10), "sigmoid", 95.499, "mnist-784-30-10-sigmoid-95"),
        ((784, 512, 256, 10), "leaky_relu", 98.61, "mnist-784-512-256-10-leaky_relu-98"),
    ],
)
def test_default_name_follows_the_seed(
    sizes: tuple[int, ...], activation: str, accuracy: float, name: str
) -> None:
    assert default_model_name(sizes, activation, accuracy) == name


def test_command_defaults_are_the_fast_recipe() -> None:
    parser = Command().create_parser("manage.py", "train_mnist")
    options = vars(parser.parse_args([]))
    assert config_from_options(options) == FAST_RECIPE
    assert options["output_dir"] is None  # then settings.HIPPO_MODELS_DIR


@pytest.mark.usefixtures("mnist_missing")
def test_arguments_are_checked_before_looking_for_mnist(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="--sizes must end with 10"):
        call_command("train_mnist", "--sizes", "784", "30", "--output", str(tmp_path / "m"))


@pytest.mark.usefixtures("mnist_missing")
def test_missing_mnist_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="HIPPO_MNIST_DIR"):
        call_command("train_mnist", "--output", str(tmp_path / "m"), verbosity=0)
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("arch", sorted(ARCH_RECIPES))
def test_a_recurrent_preset_brings_its_architecture_and_recipe(arch: str) -> None:
    parser = Command().create_parser("manage.py", "train_mnist")
    config = config_from_options(vars(parser.parse_args(["--arch", arch])))
    assert config.architecture == PRESETS[arch].replace(",", "-")
    recipe = ARCH_RECIPES[arch]
    for field, value in recipe.items():
        assert getattr(config, field) == value
    assert config.clip_norm is not None  # recurrent gradients can explode through time
    assert config.layers is not None
    assert config.layer_specs()[0] == {"type": "sequence"}


def test_flags_override_a_preset_recipe_even_when_they_repeat_the_default() -> None:
    parser = Command().create_parser("manage.py", "train_mnist")
    arguments = ["--arch", "lstm", "--optimizer", "momentum", "--epochs", "2"]
    arguments += ["--clip-norm", "1.5", "--learning-rate", "0.05"]
    config = config_from_options(vars(parser.parse_args(arguments)))
    # momentum and 0.05 are the fast recipe's defaults: given, they still win over the recipe.
    assert (config.optimizer, config.learning_rate) == ("momentum", 0.05)
    assert (config.epochs, config.clip_norm) == (2, 1.5)
    assert config.mini_batch_size == ARCH_RECIPES["lstm"]["mini_batch_size"]


def test_layers_take_the_plain_defaults_and_clip_norm_is_a_flag() -> None:
    parser = Command().create_parser("manage.py", "train_mnist")
    config = config_from_options(vars(parser.parse_args(["--layers", "gru16,dense10"])))
    assert dataclasses.replace(config, layers=None) == FAST_RECIPE
    config = config_from_options(vars(parser.parse_args(["--clip-norm", "3"])))
    assert config == dataclasses.replace(FAST_RECIPE, clip_norm=3.0)


@pytest.mark.parametrize("value", ["0", "-1", "inf"])
def test_a_bad_clip_norm_is_refused_with_its_flag(value: str, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="--clip-norm must be a positive number"):
        call_command("train_mnist", "--clip-norm", value, "--output", str(tmp_path), verbosity=0)


def test_a_recurrent_network_is_described_without_the_unused_activation() -> None:
    parser = Command().create_parser("manage.py", "train_mnist")
    lstm = config_from_options(vars(parser.parse_args(["--arch", "lstm", "--seed", "1"])))
    assert not lstm.uses_activation
    assert describe(lstm).startswith("training lstm128-dense10 softmax, augmented, cross_entropy")
    assert "gradients clipped to norm 5" in describe(lstm)
    mlp = config_from_options(vars(parser.parse_args([])))
    assert mlp.uses_activation
    assert describe(mlp).startswith("training 784-100-10 relu/softmax, cross_entropy")


def test_no_augment_switches_a_recipes_augmentation_off() -> None:
    parser = Command().create_parser("manage.py", "train_mnist")
    assert config_from_options(vars(parser.parse_args(["--arch", "gru"]))).augment is True
    off = config_from_options(vars(parser.parse_args(["--arch", "gru", "--no-augment"])))
    assert off.augment is False
    assert config_from_options(vars(parser.parse_args(["--augment"]))).augment is True
    assert config_from_options(vars(parser.parse_args(["--arch", "cnn"]))).augment is False
