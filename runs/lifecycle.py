"""A run's status changes, each one UPDATE guarded by the status it leaves.

The guards are what make "each run executed once" hold with several workers: a run is claimed
by the UPDATE that moves it from ``queued`` to ``running``, and only one UPDATE can do that.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from runs.models import RunStatus, TrainingRun


def lease_until(seconds: float | None = None) -> Any:
    """The expiry of a lease renewed now."""
    lease = settings.HIPPO_RUN_LEASE_SECONDS if seconds is None else seconds
    return timezone.now() + timedelta(seconds=lease)


def machine_name() -> str:
    """This machine's host name."""
    return socket.gethostname()


def default_worker_id() -> str:
    """An id for a process that trains without a task worker (``train_mnist``)."""
    return f"{machine_name()}:{os.getpid()}"[:64]


def claim(run_id: int, worker_id: str) -> bool:
    """Move a queued run to running for this worker; False when another got it first."""
    now = timezone.now()
    claimed = TrainingRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING,
        worker_id=worker_id[:64],
        machine=machine_name()[:255],
        started_at=now,
        finished_at=None,
        lease_expires_at=lease_until(),
        attempts=F("attempts") + 1,
        error="",
    )
    return claimed == 1


def owns(run: TrainingRun) -> bool:
    """Whether the run is still running under this process's worker id."""
    return TrainingRun.objects.filter(
        pk=run.pk, status=RunStatus.RUNNING, worker_id=run.worker_id
    ).exists()


def end(run: TrainingRun, status: RunStatus, **fields: Any) -> bool:
    """Record the end of a running run (fields as given); False if it was no longer running.

    A run the sweeper marked interrupted while this process was stalled stays interrupted: its
    lease had lapsed, and another worker may be resuming it.
    """
    fields.update(status=status, finished_at=timezone.now(), lease_expires_at=None)
    updated = TrainingRun.objects.filter(
        pk=run.pk, status=RunStatus.RUNNING, worker_id=run.worker_id
    ).update(**fields)
    for name, value in fields.items():
        setattr(run, name, value)
    return updated == 1


def sweep_lapsed_runs() -> list[int]:
    """Mark interrupted every running run whose lease lapsed (its process is gone); their ids."""
    now = timezone.now()
    lapsed = TrainingRun.objects.filter(status=RunStatus.RUNNING).filter(
        Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True)
    )
    ids = list(lapsed.values_list("pk", flat=True))
    if ids:
        TrainingRun.objects.filter(pk__in=ids, status=RunStatus.RUNNING).filter(
            Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True)
        ).update(
            status=RunStatus.INTERRUPTED,
            finished_at=now,
            error="its worker stopped renewing the lease (the process or the machine is gone)",
        )
    return ids
