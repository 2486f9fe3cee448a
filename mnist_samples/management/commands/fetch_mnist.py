"""`manage.py fetch_mnist`: make MNIST available (HIPPO_MNIST_DIR, the cache, else download)."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError

from mnist_samples import services
from mnist_samples.download import DEFAULT_MIRRORS, DownloadError, download_mnist
from nn_core.mnist import MnistFormatError, MnistNotFoundError, load_mnist


class Command(BaseCommand):
    """Find or download the four MNIST files, verify them, and build the fast cache."""

    help = (
        "Make MNIST available: use HIPPO_MNIST_DIR or the cache when they verify, else download "
        "the four files from public mirrors (checksums verified) into HIPPO_MNIST_CACHE. "
        "Idempotent."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Mirrors, timeout and progress options."""
        parser.add_argument(
            "--mirror",
            action="append",
            dest="mirrors",
            metavar="URL",
            help="A mirror base URL (repeatable; replaces the default list, tried in order).",
        )
        parser.add_argument(
            "--timeout", type=float, default=30.0, help="Seconds per network operation."
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show download progress bars."
        )

    def _load(self) -> str:
        arrays = load_mnist(services.source_dir(), services.cache_dir(), use_env=False)
        return arrays.source

    def handle(self, *args: Any, **options: Any) -> None:
        """Use what is there, else download, then verify everything by loading it once."""
        cache = services.cache_dir()
        try:
            source = self._load()
        except MnistNotFoundError:
            source = None
        except MnistFormatError as exc:
            self.stderr.write(f"Ignoring a corrupt local copy: {exc}")
            source = None
        if source is not None:
            self.stdout.write(self.style.SUCCESS(f"MNIST is available ({source}); nothing to do."))
            return

        mirrors = options["mirrors"] or list(DEFAULT_MIRRORS)
        self.stdout.write(f"Downloading MNIST into {cache} from {len(mirrors)} mirror(s)...")
        try:
            fetched = download_mnist(
                cache,
                mirrors,
                timeout=options["timeout"],
                progress=not options["no_progress"],
                # tqdm redraws with "\r"; the wrapper would append a newline to every write.
                stream=cast(TextIO, getattr(self.stderr, "_out", sys.stderr)),
            )
        except (DownloadError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        for item in fetched:
            origin = f"from {item.mirror}" if item.mirror else "already present"
            self.stdout.write(f"  {item.path.name}: verified, {origin}")
        try:
            source = self._load()
        except (MnistNotFoundError, MnistFormatError) as exc:
            raise CommandError(str(exc)) from None
        services.reset()
        self.stdout.write(self.style.SUCCESS(f"MNIST is ready ({source})."))
