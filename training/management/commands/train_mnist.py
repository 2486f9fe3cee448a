"""``manage.py train_mnist``: train a network on MNIST and write its model files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from mnist_samples.services import get_splits
from nn_core.layers import PRESETS
from nn_core.mnist import MnistFormatError, MnistNotFoundError, MnistSplits
from nn_core.network import ACTIVATIONS, COSTS, OPTIMIZERS, OUTPUTS, EpochReport, TrainingDiverged
from training import services
from training.observers import RunObserver, observer_for
from training.progress import EpochProgress, describe, report
from training.services import (
    ARCH_RECIPES,
    FAST_RECIPE,
    RECIPE_FIELDS,
    ConfigError,
    NameTaken,
    NothingToSave,
    TrainingConfig,
    command_line_message,
    flag_for,
    recipe_value,
)

CHANCE_WARNING = 20.0  # percent test accuracy under which a run has learned close to nothing

RECIPE_NOTE = ", or the --arch preset's recipe"
"""Said in the help of every flag whose default a preset's recipe replaces."""


def _recipe_text(recipe: dict[str, object]) -> str:
    return ", ".join(
        flag_for(field) if value is True else f"{flag_for(field)} {value}"
        for field, value in recipe.items()
    )


def add_training_arguments(parser: CommandParser, defaults: TrainingConfig = FAST_RECIPE) -> None:
    """Declare the network and hyperparameter flags (shared with ``ensure_model``'s help)."""
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=list(defaults.sizes),
        metavar="N",
        help="fully connected layer sizes, input first: 784 ... 10 "
        f"(default {' '.join(map(str, defaults.sizes))})",
    )
    parser.add_argument(
        "--layers",
        default=None,
        metavar="SPEC",
        help="any architecture instead of --sizes: e.g. "
        '"conv5x5x32,pool2,conv5x5x64,pool2,dense128,dropout0.5,dense10" (the hidden '
        "activation follows every conv and dense layer but the last), or a JSON file of layer "
        "specs; see docs/TRAINING.md",
    )
    parser.add_argument(
        "--arch",
        default=None,
        choices=sorted(PRESETS),
        help="a preset architecture: "
        + "; ".join(f"{name}: {text}" for name, text in sorted(PRESETS.items()))
        + ". The recurrent presets (rnn, lstm, gru) also bring their training recipe ("
        + "; ".join(
            f"{name}: {_recipe_text(recipe)}" for name, recipe in sorted(ARCH_RECIPES.items())
        )
        + "); any flag given overrides it",
    )
    parser.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="distort every training batch (shift, rotation, scale, shear, stroke width, blur); "
        f"--no-augment switches a recipe's augmentation off (default: off{RECIPE_NOTE})",
    )
    parser.add_argument(
        "--dropout",
        type=float,
        default=0.0,
        metavar="P",
        help="dropout rate: after every hidden layer of a --sizes network, or the rate of every "
        "dropout layer of --layers / --arch (default: none / as specified)",
    )
    parser.add_argument(
        "--activation",
        default=defaults.activation,
        choices=ACTIVATIONS,
        help="hidden-layer activation (default: %(default)s)",
    )
    parser.add_argument(
        "--output-layer",
        dest="output_layer",
        default=defaults.output,
        choices=OUTPUTS,
        help="output-layer function (default: %(default)s)",
    )
    parser.add_argument(
        "--cost", default=defaults.cost, choices=COSTS, help="cost function (default: %(default)s)"
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help=f"epochs (default: {defaults.epochs}{RECIPE_NOTE})",
    )
    parser.add_argument(
        "--learning-rate",
        "--eta",
        dest="learning_rate",
        type=float,
        default=None,
        help=f"learning rate η (default: {defaults.learning_rate:g}{RECIPE_NOTE})",
    )
    parser.add_argument(
        "--mini-batch-size",
        "--batch-size",
        dest="mini_batch_size",
        type=int,
        default=None,
        help=f"mini-batch size (default: {defaults.mini_batch_size}{RECIPE_NOTE})",
    )
    parser.add_argument(
        "--optimizer",
        default=None,
        choices=OPTIMIZERS,
        help=f"sgd, momentum (SGD with momentum) or adam (default: {defaults.optimizer}"
        f"{RECIPE_NOTE})",
    )
    parser.add_argument(
        "--momentum",
        type=float,
        default=defaults.momentum,
        help="momentum coefficient for --optimizer momentum (default: %(default)s)",
    )
    parser.add_argument(
        "--l2",
        type=float,
        default=None,
        help=f"L2 weight decay λ (default: {defaults.l2:g}{RECIPE_NOTE})",
    )
    parser.add_argument(
        "--clip-norm",
        type=float,
        default=None,
        metavar="TAU",
        help="clip the gradients of every mini-batch to global norm TAU before the step "
        "(recurrent networks, whose gradients can explode through time; default: no clipping"
        f"{RECIPE_NOTE})",
    )
    parser.add_argument(
        "--schedule",
        default=None,
        choices=services.SCHEDULE_CHOICES,
        help=f"learning-rate schedule over the epochs (default: {defaults.schedule}{RECIPE_NOTE})",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=defaults.seed,
        help="random seed for initialisation and shuffling (default: a random one, recorded)",
    )
    parser.add_argument(
        "--limit-train",
        type=int,
        default=None,
        metavar="N",
        help="train on the first N training images only (quick experiments and tests)",
    )


def config_from_options(options: dict[str, Any]) -> TrainingConfig:
    """Build and validate a configuration from parsed options.

    Raises:
        CommandError: with the validation message.
    """
    layers_text = options.get("layers")
    arch = options.get("arch")
    if layers_text and arch:
        raise CommandError("give --layers or --arch, not both")
    text = layers_text or (PRESETS[arch] if arch else None)
    try:
        layers = services.layers_from_text(text, options["activation"]) if text else None
    except ConfigError as exc:
        raise CommandError(command_line_message(exc)) from exc
    config = TrainingConfig(
        layers=layers,
        dropout=options.get("dropout") or 0.0,
        sizes=tuple(options["sizes"]),
        activation=options["activation"],
        output=options["output_layer"],
        cost=options["cost"],
        momentum=options["momentum"],
        seed=options["seed"],
        limit_train=options["limit_train"],
        # A flag not given (None) takes the --arch preset's recipe, else the fast recipe's value.
        **{
            field: recipe_value(field, options.get(field), arch if not layers_text else None)
            for field in RECIPE_FIELDS
        },
    )
    try:
        config.validate()
    except ConfigError as exc:
        raise CommandError(command_line_message(exc)) from exc
    return config


def load_splits() -> MnistSplits:
    """MNIST splits of this process (loaded once), or a CommandError saying how to get them."""
    try:
        return get_splits()
    except (MnistNotFoundError, MnistFormatError) as exc:
        raise CommandError(str(exc)) from exc


def train_with_progress(
    config: TrainingConfig,
    out: OutputWrapper,
    *,
    verbosity: int = 1,
    observer: RunObserver | None = None,
) -> services.TrainingResult:
    """Run a training with the progress bar and epoch lines; translate failures to CommandError.

    ``observer`` (a recorded run) gets the progress beats and epochs too, and hears of a run
    that ends without a result; a result is the caller's to report (with the files it writes).
    """
    splits = load_splits()
    progress = EpochProgress(out, config.epochs, verbosity=verbosity)

    def on_epoch(report: EpochReport, is_best: bool) -> None:
        progress.on_epoch(report, is_best)
        if observer is not None:
            observer.on_epoch(report, is_best)

    try:
        return services.run_training(
            config,
            splits,
            on_batch=progress.on_batch,
            on_epoch=on_epoch,
            on_progress=observer.on_progress if observer is not None else None,
        )
    except BaseException as exc:
        if observer is not None:
            observer.failed(exc)
        if isinstance(exc, TrainingDiverged):
            raise CommandError(f"training diverged; nothing was written. {exc}") from exc
        if isinstance(exc, NothingToSave):
            raise CommandError(f"{exc}; nothing was written.") from exc
        raise
    finally:
        progress.close()


class Command(BaseCommand):
    """Train a feedforward network on MNIST, keep the best-validation weights, write model files."""

    help = (
        "Train a network on MNIST (train 50k / validation 10k / test 10k), keep the weights of the "
        "best validation epoch and write <output>/<name>.safetensors, .json, .png (curves) and "
        "-confusion.png. Ctrl-C stops and keeps the best checkpoint so far. See docs/TRAINING.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare the flags; ``--output`` is the directory, ``--output-layer`` the function."""
        add_training_arguments(parser)
        parser.add_argument(
            "--name",
            default=None,
            help="file stem (default: mnist-<sizes or layers>-<activation>[-aug]-<test accuracy "
            "%%, floored>)",
        )
        parser.add_argument(
            "--output",
            "--output-dir",
            dest="output_dir",
            type=Path,
            default=None,
            help="directory for the model files (default: HIPPO_MODELS_DIR, ./models)",
        )
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="replace the files of an existing model named --name (default: refuse); "
            "without --name a taken default name gets the first free -2, -3, ... instead",
        )
        parser.add_argument(
            "--description", default="", help="one line stored in the metadata (default: generated)"
        )
        parser.add_argument(
            "--no-record",
            dest="record",
            action="store_false",
            help="do not record this run in the database (default: record it as a training run "
            "with its curves, shown in the admin)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Validate, train, report, write."""
        config = config_from_options(options)
        name = options["name"]
        overwrite = bool(options.get("overwrite"))
        output_dir: Path = options["output_dir"] or Path(settings.HIPPO_MODELS_DIR)
        if output_dir.exists() and not output_dir.is_dir():
            raise CommandError(f"--output {output_dir} exists and is not a directory")
        if name:
            # Before training: a refused name must not cost a run.
            try:
                services.check_model_name(name)
                if not overwrite:
                    services.check_name_is_free(name, output_dir)
            except ConfigError as exc:
                raise CommandError(command_line_message(exc)) from exc
            except NameTaken as exc:
                raise CommandError(str(exc)) from exc
        verbosity = int(options["verbosity"])

        if verbosity:
            self.stdout.write(describe(config))
        load_splits()  # a missing MNIST is said before a run is recorded
        observer = observer_for(config, "cli") if options.get("record", True) else None
        if observer is not None:
            self.stdout.write(f"recording as {observer.where}")
        result = train_with_progress(config, self.stdout, verbosity=verbosity, observer=observer)
        try:
            self._write(result, options, output_dir, name, overwrite, verbosity, observer)
        except BaseException as exc:
            if observer is not None:
                observer.failed(exc)
            raise

    def _write(
        self,
        result: services.TrainingResult,
        options: dict[str, Any],
        output_dir: Path,
        name: str | None,
        overwrite: bool,
        verbosity: int,
        observer: RunObserver | None,
    ) -> None:
        """Report the result, write the model files, and tell the observer."""
        if result.interrupted:
            self.stdout.write(
                self.style.WARNING(
                    f"interrupted after {result.epochs_completed} epoch(s); keeping the best "
                    f"checkpoint (epoch {result.best_epoch})"
                )
            )
        if result.test_accuracy < CHANCE_WARNING:
            # The divergence guard catches NaN and dead networks; a net that only ever guesses
            # (chance is 10 %) is still a valid model file, but almost certainly not what was meant.
            self.stderr.write(
                self.style.WARNING(
                    f"warning: test accuracy {result.test_accuracy:.2f} % is near chance (10 %): "
                    "the network learned almost nothing; try a lower --learning-rate"
                )
            )
        try:
            files = services.write_model_files(
                result, output_dir, name, options["description"], overwrite=overwrite
            )
        except NameTaken as exc:  # taken while training ran
            raise CommandError(f"{exc}; nothing was written.") from exc
        if files.renamed_from:
            self.stdout.write(
                f"the name {files.renamed_from} is taken (model files or a registered model): "
                f"naming this model {files.name}"
            )
        if observer is not None:
            observer.finished(result, files)
        if verbosity:
            self.stdout.write(report(result))
        self.stdout.write(
            self.style.SUCCESS(
                f"wrote {files.weights} (+ .json, .png, -confusion.png): "
                f"test accuracy {result.test_accuracy:.2f} %"
            )
        )


__all__ = [
    "CHANCE_WARNING",
    "Command",
    "EpochProgress",
    "add_training_arguments",
    "config_from_options",
    "describe",
    "load_splits",
    "report",
    "train_with_progress",
]
