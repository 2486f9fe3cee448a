"""``manage.py ensure_model``: make sure the registry has a usable default model (``make run``).

With a fresh checkout there is no model yet, so the demo would have nothing to predict with. This
command trains a starter model with the fast recipe (about half a minute), pushes it to the
configured store and makes it the default. It never blocks the service from starting: without
MNIST, or when the store refuses the push, it warns and exits 0.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mnist_samples.services import mnist_status
from registry import services as registry_services
from registry.services import RegistryError, StoreError
from training import services
from training.management.commands.train_mnist import describe, train_with_progress
from training.services import FAST_RECIPE, ConfigError

STARTER_SEED = 0  # a fixed seed: every fresh checkout gets the same starter model


class Command(BaseCommand):
    """Train, push and make default a starter model when the registry has no available model."""

    help = (
        "If the registry has no available model, train a starter model with the fast recipe, push "
        "it to the configured store (HF_MODEL_REPO or the local store) and make it the default. "
        "Does nothing when a model is available. Warns and exits 0 when MNIST is missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """Overrides of the fast recipe, for quick experiments and tests."""
        parser.add_argument(
            "--epochs", type=int, default=None, help="epochs (default: the fast recipe's)"
        )
        parser.add_argument(
            "--limit-train",
            type=int,
            default=None,
            metavar="N",
            help="train on the first N training images only (quick experiments and tests)",
        )
        parser.add_argument(
            "--no-sync",
            action="store_true",
            help="do not ask the store for models before deciding to train",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Check the registry (after a sync), else train, push and make default."""
        if self._use_existing():
            return
        if not options["no_sync"]:
            self._sync()
            if self._use_existing():
                return

        status = mnist_status()
        if not status.ok:
            self.stderr.write(
                self.style.WARNING(
                    "warning: no model is registered and MNIST is not available, so no starter "
                    f"model can be trained; the service starts without a model. {status.detail} "
                    "Then run `manage.py ensure_model` again."
                )
            )
            return

        config = dataclasses.replace(
            FAST_RECIPE,
            seed=STARTER_SEED,
            epochs=options["epochs"] or FAST_RECIPE.epochs,
            limit_train=options["limit_train"],
        )
        try:
            config.validate()
        except ConfigError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("no model is available yet: training a starter model (fast recipe)")
        self.stdout.write(describe(config))
        try:
            result = train_with_progress(config, self.stdout, verbosity=int(options["verbosity"]))
        except CommandError as exc:
            self.stderr.write(self.style.WARNING(f"warning: no starter model: {exc}"))
            return
        models_dir = Path(settings.HIPPO_MODELS_DIR)
        files = services.write_model_files(
            result, models_dir, description=f"Starter model (fast recipe, seed {STARTER_SEED})."
        )
        self.stdout.write(
            f"wrote {files.weights}: test accuracy {result.test_accuracy:.2f} % "
            f"in {result.train_seconds:.1f} s"
        )
        try:
            entry = registry_services.push_model(files.weights, accuracy=result.test_accuracy)
            registry_services.make_default(entry)
        except (StoreError, RegistryError) as exc:
            self.stderr.write(
                self.style.WARNING(
                    f"warning: could not publish the starter model ({exc}). It is in {models_dir}; "
                    f"push it later with `manage.py push_model --model-path {files.weights}`."
                )
            )
            return
        self.stdout.write(self.style.SUCCESS(f"registered {entry.name} and made it the default"))

    def _use_existing(self) -> bool:
        """Report an available model (making the registry's choice default if none is).

        Returns:
            False when no model is available (then a starter model is needed).
        """
        models = registry_services.servable()
        default = models.filter(is_default=True).first()
        if default is not None:
            self.stdout.write(f"model {default.name} is available (the default): nothing to do")
            return True
        if not models.exists():
            return False
        # The registry's own rule (as after a sync): DEFAULT_MODEL, else the most accurate model.
        notes: list[str] = []
        chosen = registry_services.default_candidate(notes)
        if chosen is None:
            # The registry waits for an explicit DEFAULT_MODEL; choosing another would override it.
            self.stderr.write(
                self.style.WARNING(
                    f"warning: {models.count()} model(s) available, but DEFAULT_MODEL "
                    f"'{settings.DEFAULT_MODEL}' is not one of them; pick the default in the "
                    "admin or fix DEFAULT_MODEL"
                )
            )
            return True
        registry_services.make_default(chosen)
        self.stdout.write(f"model {chosen.name} is available; made it the default")
        return True

    def _sync(self) -> None:
        """Mirror the store into the registry; an unreachable store is only a warning here."""
        try:
            registry_services.sync_models()
        except (StoreError, RegistryError) as exc:
            self.stderr.write(self.style.WARNING(f"warning: could not sync models: {exc}"))
