"""``manage.py evaluate_robustness``: score models on MNIST test digits drawn differently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nn_core.model_files import ModelFileError, load_model
from training.management.commands.train_mnist import load_splits
from training.robustness import accuracies, build_robustness_sets


class Command(BaseCommand):
    """Print each model's accuracy on every variant of the robustness set."""

    help = (
        "Score model files on the MNIST test digits re-rendered with thicker and thinner strokes, "
        "blur, other sizes, shifts and rotations (training.robustness; deterministic, never seen "
        "in training). See docs/TRAINING.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """One or more `.safetensors` paths (each with its `.json` beside it)."""
        parser.add_argument("models", nargs="+", type=Path, metavar="MODEL.safetensors")

    def handle(self, *args: Any, **options: Any) -> None:
        """Build the sets once, score every model, print a table (one column per model)."""
        networks = []
        for path in options["models"]:
            try:
                loaded = load_model(path)
            except ModelFileError as exc:
                raise CommandError(str(exc)) from exc
            networks.append((loaded.metadata.name, loaded.network))
        test = load_splits().test
        sets = build_robustness_sets(test.images, test.labels)
        scores = [accuracies(network, sets) for _, network in networks]
        width = max(len(name) for name in scores[0]) + 2
        self.stdout.write(
            "variant".ljust(width) + "  ".join(f"{name:>12.40}" for name, _ in networks)
        )
        for variant in scores[0]:
            self.stdout.write(
                variant.ljust(width) + "  ".join(f"{score[variant]:>11.2f}%" for score in scores)
            )
