"""``manage.py sweep_runs``: mark interrupted the running runs whose worker stopped renewing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from runs.lifecycle import sweep_lapsed_runs


class Command(BaseCommand):
    """Mark interrupted every running run whose lease lapsed (its process or machine is gone)."""

    help = (
        "Mark interrupted the running training runs whose lease lapsed (their worker was killed "
        "or their machine is gone); they can then be resumed from their last epoch checkpoint."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        """Sweep and say which runs."""
        ids = sweep_lapsed_runs()
        if ids:
            self.stdout.write(f"interrupted: {', '.join(f'run {pk}' for pk in ids)}")
        elif int(options["verbosity"]):
            self.stdout.write("no run has a lapsed lease")
