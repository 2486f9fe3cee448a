"""`manage.py sync_models`: mirror the store's models into the registry."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from registry.errors import RegistryError
from registry.safe_text import printable
from registry.sync import sync_models


class Command(BaseCommand):
    """Add new models, update changed ones, mark vanished ones unavailable; print what changed."""

    help = (
        "Mirror the metadata of the models in the store (HF_MODEL_REPO on the Hugging Face Hub, "
        "else the local store) into the registry. Idempotent; never deletes a model."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        """Sync and print the report (nothing changes when the store cannot be read).

        Exits non-zero when the store cannot be read, or when it lists models and none of them
        could be read (each is in the report with its reason); skipping some is not a failure.
        """
        try:
            report = sync_models()
        except RegistryError as exc:
            # The message may quote the store's answer: escaped, it stays one line.
            raise CommandError(f"{printable(exc.message)}. The registry is unchanged.") from None
        for line in report.lines():
            self.stdout.write(line)
        if report.nothing_read:
            raise CommandError(
                f"none of the {len(report.skipped)} entries the store lists could be read "
                "(see the report above)"
            )
