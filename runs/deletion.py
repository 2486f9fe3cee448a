"""Deleting runs: allowed unless published; the files go with the row."""

from __future__ import annotations

from django.db import transaction

from runs.files import remove_run_files
from runs.models import TrainingRun


class RunIsPublished(Exception):  # noqa: N818 - reads as a sentence: "raise RunIsPublished"
    """A published run's model is in the registry: deleting the run would orphan it."""


def delete_run(run: TrainingRun) -> None:
    """Delete a run, its metrics and its files.

    Raises:
        RunIsPublished: the run's model is registered.
    """
    if run.is_published:
        raise RunIsPublished(f"run {run.pk} is published as a registered model; unpublish it first")
    with transaction.atomic():
        TrainingRun.objects.filter(pk=run.pk).delete()
        # Files last, and only once the row is gone: a failed delete leaves both in place.
        transaction.on_commit(lambda: remove_run_files(run))
