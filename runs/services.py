"""What can be done to runs: create (queued for a worker), cancel, resume, sweep lapsed leases.

The API, the admin and the commands call these functions; the rules live here only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone

from nn_core.hyperparameters import HyperparameterError, Hyperparameters
from runs.models import RunStatus, Source, TrainingRun
from runs.tasks import train_run

MAX_TAGS = 20
MAX_TAG_LENGTH = 50


class RunStateError(Exception):
    """The run is not in a state that allows the operation (e.g. cancelling a finished run)."""


def validated_hyperparameters(data: Mapping[str, Any]) -> Hyperparameters:
    """The configuration ``data`` describes, validated with the CLI's rules and messages.

    Raises:
        HyperparameterError: naming the field and what would be valid.
    """
    config = Hyperparameters.from_dict(data)
    config.validate()
    return config


def clean_tags(tags: Any) -> list[str]:
    """Tags as a list of short distinct strings.

    Raises:
        HyperparameterError: ``tags`` is not such a list (the field is named ``tags``).
    """
    if tags is None:
        return []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise HyperparameterError("tags", "must be a list of strings")
    cleaned = list(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))
    if len(cleaned) > MAX_TAGS or any(len(tag) > MAX_TAG_LENGTH for tag in cleaned):
        raise HyperparameterError(
            "tags", f"must be at most {MAX_TAGS} tags of at most {MAX_TAG_LENGTH} characters"
        )
    return cleaned


def create_run(
    config: Hyperparameters,
    *,
    user: AbstractBaseUser | AnonymousUser | None,
    source: str = Source.API,
    tags: list[str] | None = None,
    notes: str = "",
) -> TrainingRun:
    """A queued run of ``config`` (validated), handed to the task queue once committed."""
    config.validate()
    run = TrainingRun.objects.create(
        created_by_id=user.pk if user is not None and user.is_authenticated else None,
        source=source,
        hyperparameters=config.to_dict(),
        architecture=config.architecture,
        status=RunStatus.QUEUED,
        tags=list(tags or []),
        notes=notes,
    )
    enqueue(run)
    return run


def enqueue(run: TrainingRun) -> None:
    """Queue the run's task once the transaction that queued the run commits."""
    run_id = run.pk
    transaction.on_commit(lambda: train_run.enqueue(run_id))


def request_cancel(run: TrainingRun) -> TrainingRun:
    """Cancel a run: a queued one at once, a running one at its next progress beat (≤ 1 s).

    Raises:
        RunStateError: the run has already ended.
    """
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().get(pk=run.pk)
        if run.status == RunStatus.QUEUED:
            run.status = RunStatus.CANCELLED
            run.finished_at = timezone.now()
        elif run.status != RunStatus.RUNNING:
            raise RunStateError(f"run {run.pk} is {run.status}: there is nothing to cancel")
        run.cancel_requested = True
        run.save(update_fields=["status", "finished_at", "cancel_requested"])
    return run


def resume_run(run: TrainingRun) -> TrainingRun:
    """Queue an interrupted run again, to go on from its last epoch checkpoint.

    A run that stopped before its first epoch ended has none: it starts again, same seed.

    Raises:
        RunStateError: the run was not interrupted.
    """
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().get(pk=run.pk)
        if run.status != RunStatus.INTERRUPTED:
            raise RunStateError(
                f"run {run.pk} is {run.status}: only an interrupted run can be resumed"
            )
        run.status = RunStatus.QUEUED
        run.cancel_requested = False
        run.finished_at = None
        run.save(update_fields=["status", "cancel_requested", "finished_at"])
        enqueue(run)
    return run


__all__ = [
    "RunStateError",
    "clean_tags",
    "create_run",
    "enqueue",
    "request_cancel",
    "resume_run",
    "validated_hyperparameters",
]
