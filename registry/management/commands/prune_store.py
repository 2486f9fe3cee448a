"""`manage.py prune_store`: delete the local store's revisions nothing refers to."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from registry.prune import DEFAULT_KEEP, DEFAULT_MIN_AGE, prune_store
from registry.stores import LocalStore, get_store


class Command(BaseCommand):
    """Keep every revision the registry refers to, plus the newest N; delete the rest."""

    help = (
        "Delete revisions of the local model store that no registered model refers to, keeping "
        "the newest N (and the head). Runs under the store's lock; prints the bytes freed."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        """--keep, --min-age, --dry-run."""
        parser.add_argument(
            "--keep",
            type=int,
            default=DEFAULT_KEEP,
            help=f"Newest revisions always kept (default {DEFAULT_KEEP}).",
        )
        parser.add_argument(
            "--min-age",
            type=float,
            default=DEFAULT_MIN_AGE,
            help="Revisions younger than this many seconds are kept: a push registers its "
            f"revision just after committing it (default {DEFAULT_MIN_AGE:g}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only say what would be deleted."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Prune the configured local store and print the report."""
        store = get_store()
        if not isinstance(store, LocalStore):
            raise CommandError(
                "prune_store works on the local store only (HF_MODEL_REPO is set: the Hub keeps "
                "its own history)"
            )
        if options["keep"] < 0 or options["min_age"] < 0:
            raise CommandError("--keep and --min-age must not be negative")
        try:
            report = prune_store(
                store,
                keep=options["keep"],
                min_age=options["min_age"],
                dry_run=options["dry_run"],
            )
        except OSError as exc:
            raise CommandError(f"pruning {store.root} failed: {exc}") from None
        for line in report.lines():
            self.stdout.write(line)
