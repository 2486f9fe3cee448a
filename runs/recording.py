"""Recording a run: its callbacks become `RunMetric` rows, status and lease updates.

Cheap by construction (the target is at most 2 % of training time, ``bench/run_recording.py``):
per progress beat (every half second at most) one indexed read of ``cancel_requested``; the beat's
rows are buffered and written with the lease renewal in one transaction every
:data:`FLUSH_SECONDS` (sooner when the lease needs it), and at every epoch's end, so that an
epoch's metrics are in the database as soon as the epoch is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from nn_core.network import EpochReport
from runs.files import describe_files
from runs.lifecycle import default_worker_id, end, lease_until, machine_name
from runs.models import RunMetric, RunStatus, Source, TrainingRun
from training.artifacts import ModelFiles
from training.config import TrainingConfig
from training.run import NothingToSave, Progress, StopTraining, TrainingResult

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 5.0
"""The longest buffered beat rows wait before they are written (epoch rows never wait)."""

EPOCH_METRICS = ("train_loss", "validation_loss", "validation_accuracy", "learning_rate")


class LeaseLost(StopTraining):
    """The run is no longer this process's (the sweeper marked it interrupted): stop at once."""

    def __init__(self) -> None:
        # Another worker may be resuming the run from its checkpoint: never overwrite it.
        super().__init__("lease lost", save_checkpoint=False)


class RunRecorder:
    """Records one running run, ``train_mnist``'s or a worker's.

    It is an observer of :mod:`training.observers` (what ``train_mnist`` is given).

    Args:
        run: The run, status ``running`` and owned by this process (``worker_id``).
        examples_per_epoch: Training examples per epoch (the step of an epoch's rows).
        stop_check: Called every beat; returns a reason to stop the run (e.g. the worker is
            shutting down) or None.
        clock: Seconds, monotonic (tests pass a fake one).
    """

    def __init__(
        self,
        run: TrainingRun,
        examples_per_epoch: int,
        *,
        stop_check: Callable[[], str | None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.run = run
        self.examples_per_epoch = examples_per_epoch
        self.stop_check = stop_check
        self.clock = clock
        self.pending: list[RunMetric] = []
        self.last_flush = clock()
        self.renew_every = min(FLUSH_SECONDS, settings.HIPPO_RUN_LEASE_SECONDS / 3)
        self.previous: Progress | None = None

    # ------------------------------------------------------------------------------------------
    # The observer protocol
    # ------------------------------------------------------------------------------------------

    @property
    def where(self) -> str:
        """The run's id and its admin page."""
        return f"run {self.run.pk}: {reverse('admin:runs_trainingrun_change', args=[self.run.pk])}"

    def on_progress(self, progress: Progress) -> None:
        """Buffer the beat's rows; flush when due; stop on a cancel request.

        Raises:
            StopTraining: ``cancelled`` when someone asked, another reason from ``stop_check``,
                or :class:`LeaseLost`.
        """
        step, epoch = progress.examples_seen, progress.epoch
        self._add(step, epoch, "seconds", progress.seconds)
        previous = self.previous
        if previous is not None and progress.seconds > previous.seconds:
            rate = (step - previous.examples_seen) / (progress.seconds - previous.seconds)
            self._add(step, epoch, "examples_per_second", rate)
        self.previous = progress
        if self.clock() - self.last_flush >= self.renew_every:
            self.flush()
        self.stop_if_asked()

    def stop_if_asked(self) -> None:
        """Stop the run if the process is shutting down or someone asked to cancel it.

        Raises:
            StopTraining: ``cancelled``, or the reason ``stop_check`` gave.
        """
        if self.stop_check is not None and (reason := self.stop_check()):
            raise StopTraining(reason)
        if self.cancel_requested():
            raise StopTraining("cancelled")

    def on_epoch(self, report: EpochReport, is_best: bool) -> None:
        """Write the epoch's rows and the run's progress now."""
        step = report.epoch * self.examples_per_epoch
        for name in EPOCH_METRICS:
            value = getattr(report, name)
            if value is not None:
                self._add(step, report.epoch, name, float(value))
        self._add(step, report.epoch, "epoch_seconds", float(report.seconds))
        run = self.run
        fields: dict[str, Any] = {"epochs_completed": report.epoch}
        if is_best:
            fields["best_epoch"] = report.epoch
            fields["best_validation_accuracy"] = report.validation_accuracy
        accuracy = (
            "-" if report.validation_accuracy is None else f"{report.validation_accuracy:.2f} %"
        )
        run.append_log(
            f"epoch {report.epoch}: loss {report.train_loss:.4f}, validation {accuracy}, "
            f"lr {report.learning_rate:.3g}, {report.seconds:.2f} s" + (" *best" if is_best else "")
        )
        fields["log_tail"] = run.log_tail
        self.flush(**fields)
        # Also here, not only at beats: an epoch shorter than a beat has none. Raised here, the
        # stop comes after the epoch's checkpoint (training.run.run_training).
        self.stop_if_asked()

    def finished(self, result: TrainingResult, files: ModelFiles | None) -> None:
        """Record the result: succeeded, or cancelled / interrupted when it stopped early."""
        status = status_of(result)
        paths = (
            [] if files is None else [files.weights, files.metadata, files.curves, files.confusion]
        )
        self.run.append_log(
            f"{status}: {result.epochs_completed} epoch(s), best {result.best_epoch}, "
            f"test accuracy {result.test_accuracy:.2f} %"
        )
        self._flush_rows()
        end(
            self.run,
            status,
            hyperparameters=result.config.to_dict(),  # with the seed actually drawn
            epochs_completed=result.epochs_completed,
            best_epoch=result.best_epoch,
            best_validation_accuracy=result.best_validation_accuracy,
            test_metrics={
                "test_accuracy": result.test_accuracy,
                "test_loss": result.test_loss,
                "train_accuracy": result.train_accuracy,
                "per_class_accuracy": result.per_class_accuracy,
                "train_seconds": result.train_seconds,
            },
            confusion_matrix=result.confusion_matrix.tolist(),
            model_files=describe_files(paths),
            log_tail=self.run.log_tail,
        )

    def failed(self, error: BaseException) -> None:
        """Record a run that ended without a result (its curves so far are kept)."""
        status = RunStatus.FAILED
        if isinstance(error, KeyboardInterrupt):
            status = RunStatus.CANCELLED
        elif isinstance(error, NothingToSave):
            status = stop_status(error.reason)
        self.run.append_log(f"{status}: {error}")
        self._flush_rows()
        end(self.run, status, error=str(error)[:2000], log_tail=self.run.log_tail)

    # ------------------------------------------------------------------------------------------
    # Writes
    # ------------------------------------------------------------------------------------------

    def _add(self, step: int, epoch: int, name: str, value: float) -> None:
        self.pending.append(
            RunMetric(run_id=self.run.pk, step=step, epoch=epoch, name=name, value=value)
        )

    def _flush_rows(self) -> None:
        if self.pending:
            RunMetric.objects.bulk_create(self.pending)
            self.pending = []

    def flush(self, **fields: Any) -> None:
        """Write the buffered rows and renew the lease (with ``fields``) in one transaction.

        Raises:
            LeaseLost: the run is no longer running under this worker.
        """
        with transaction.atomic():
            self._flush_rows()
            owned = TrainingRun.objects.filter(
                pk=self.run.pk, status=RunStatus.RUNNING, worker_id=self.run.worker_id
            ).update(lease_expires_at=lease_until(), **fields)
        self.last_flush = self.clock()
        if not owned:
            raise LeaseLost()

    def cancel_requested(self) -> bool:
        """Whether someone asked to cancel the run (one indexed read)."""
        flags = TrainingRun.objects.filter(pk=self.run.pk).values_list(
            "cancel_requested", flat=True
        )
        return bool(next(iter(flags), False))


def status_of(result: TrainingResult) -> RunStatus:
    """The status a result ends its run with."""
    if not result.interrupted:
        return RunStatus.SUCCEEDED
    return stop_status(result.stop_reason)


def stop_status(reason: str | None) -> RunStatus:
    """The status a stop leaves: asked for (a cancel; Ctrl-C is ``"interrupted"``) is cancelled.

    Any other stop (the worker shutting down, the lease lost) leaves the run ``interrupted``, to be
    resumed.
    """
    if reason in ("cancelled", "interrupted"):
        return RunStatus.CANCELLED
    return RunStatus.INTERRUPTED


def examples_per_epoch(config: TrainingConfig, available: int) -> int:
    """Training examples per epoch of a configuration."""
    return min(config.limit_train or available, available)


def start_cli_run(config: TrainingConfig, source: str) -> RunRecorder:
    """A new running run for a process that trains itself (``train_mnist``), and its recorder."""
    from mnist_samples.services import get_splits  # only a recorded run needs the splits here

    run = TrainingRun.objects.create(
        source=source if source in Source.values else Source.CLI,
        hyperparameters=config.to_dict(),
        architecture=config.architecture,
        status=RunStatus.RUNNING,
        started_at=timezone.now(),
        machine=machine_name(),
        worker_id=default_worker_id(),
        attempts=1,
        lease_expires_at=lease_until(),
    )
    return RunRecorder(run, examples_per_epoch(config, len(get_splits().train.labels)))


def observe_cli_run(config: TrainingConfig, source: str) -> RunRecorder | None:
    """:func:`start_cli_run`, or None when the database cannot take the run (not migrated)."""
    try:
        return start_cli_run(config, source)
    except DatabaseError as exc:
        logger.warning("this run is not recorded: %s", exc)
        return None


__all__ = [
    "EPOCH_METRICS",
    "FLUSH_SECONDS",
    "LeaseLost",
    "RunRecorder",
    "examples_per_epoch",
    "observe_cli_run",
    "start_cli_run",
    "status_of",
    "stop_status",
]
