"""`manage.py push_model`: validate a local model, push it to the store, register it."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from registry.errors import RegistryError
from registry.push import push_model


class Command(BaseCommand):
    """Push a model (weights, metadata, curves) and the regenerated model card in one commit."""

    help = (
        "Validate a local model and push it, with its metadata, its training curves (a PNG beside "
        "the weights) and the regenerated model card, to the Hugging Face Hub repo HF_MODEL_REPO "
        "(token from HF_TOKEN) or to the local store; then register it."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the flags of the original Hippo's command."""
        parser.add_argument(
            "--model-path", required=True, type=Path, help="The .safetensors file to push."
        )
        parser.add_argument("--name", help="Model name (default: the name in its metadata).")
        parser.add_argument("--accuracy", type=float, help="Test accuracy in percent.")
        parser.add_argument("--description", help="Free text shown in the card and the admin.")
        parser.add_argument(
            "--private",
            action="store_true",
            help="Create the Hub repository private (when it does not exist yet).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Push, then report the registered model and its revision."""
        try:
            entry = push_model(
                options["model_path"],
                name=options["name"],
                accuracy=options["accuracy"],
                description=options["description"],
                private=options["private"],
            )
        except RegistryError as exc:
            raise CommandError(exc.message) from None
        except OSError as exc:  # e.g. a full disk: one line, no traceback
            where = f" ({exc.filename})" if exc.filename else ""
            raise CommandError(f"push failed: {exc.strerror or exc}{where}") from None
        except DatabaseError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise CommandError(f"push failed: the database refused the write: {first}") from None
        accuracy = "n/a" if entry.test_accuracy is None else f"{entry.test_accuracy:.2f} %"
        self.stdout.write(
            self.style.SUCCESS(
                f"Pushed {entry.name} ({entry.architecture}, test accuracy {accuracy}) to "
                f"{entry.store} {entry.repo} at revision {entry.revision[:12]}."
            )
        )
        if entry.is_default:
            self.stdout.write(f"{entry.name} is the default model.")
