"""Executing a queued run in a worker: claim it, train with recording and checkpoints, finish.

A worker (``manage.py db_worker``, one training at a time) runs :func:`execute_run` through the
task :func:`runs.tasks.train_run`. The claim (``queued`` → ``running``) is one guarded UPDATE, so
a run is executed once even if its task were delivered twice; the recorder renews the run's lease
at least every third of ``HIPPO_RUN_LEASE_SECONDS`` and checks for a cancel request at every
progress beat. A run goes on from its checkpoint when it has one (a resume). Model files are
written only for a run that succeeded, atomically, after training: nothing half-written is ever
recorded as a run's files.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings

from mnist_samples.services import get_splits
from nn_core.training_loop import limit_blas_threads
from runs.files import run_directory
from runs.lifecycle import claim, end, owns
from runs.models import RunMetric, RunStatus, TrainingRun
from runs.recording import RunRecorder, examples_per_epoch, status_of
from training.artifacts import write_model_files
from training.checkpoints import CheckpointError, RunCheckpoint, load_checkpoint
from training.config import TrainingConfig
from training.run import NothingToSave, run_training

logger = logging.getLogger(__name__)

CHECKPOINT_NAME = "checkpoint.npz"
SHUTDOWN = "worker shutdown"


class _ShutdownFlag:
    """Set by SIGINT/SIGTERM while a run trains, so that the run stops at its next beat.

    The worker's own handlers still run (``db_worker`` then exits after this task), and the run
    ends ``interrupted`` with its checkpoint, to be resumed, instead of being killed mid-epoch.
    """

    def __init__(self) -> None:
        self.requested = False

    def check(self) -> str | None:
        return SHUTDOWN if self.requested else None

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # signals reach only the main thread's handlers
            return
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

        def handler(signum: int, frame: FrameType | None) -> None:
            self.requested = True
            chained = previous[signal.Signals(signum)]
            if callable(chained):
                chained(signum, frame)

        for sig in previous:
            signal.signal(sig, handler)
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)


def execute_run(run_id: int, worker_id: str) -> str:
    """Claim and execute the queued run ``run_id``; its final status (or ``not claimed``).

    Raises:
        BaseException: whatever training raised that is not a training outcome (a bug); the run
            is marked failed first.
    """
    if not claim(run_id, worker_id):
        return "not claimed"
    run = TrainingRun.objects.get(pk=run_id)
    if run.cancel_requested:  # asked for while it waited in the queue (the admin's tick box)
        end(run, RunStatus.CANCELLED)
        return str(RunStatus.CANCELLED)
    config = TrainingConfig.from_dict(run.hyperparameters)
    checkpoint_path = run_directory(run.pk) / CHECKPOINT_NAME
    resume = _checkpoint_to_resume(run, checkpoint_path)
    # Rows of an epoch the last attempt did not finish are measured again.
    done = resume.loop.epoch if resume is not None else 0
    RunMetric.objects.filter(run=run, epoch__gt=done).delete()
    if run.checkpoint_path != str(checkpoint_path):
        TrainingRun.objects.filter(pk=run.pk).update(checkpoint_path=str(checkpoint_path))
        run.checkpoint_path = str(checkpoint_path)

    shutdown = _ShutdownFlag()
    splits = get_splits()
    recorder = RunRecorder(
        run, examples_per_epoch(config, len(splits.train.labels)), stop_check=shutdown.check
    )
    run.append_log(
        f"worker {worker_id}: " + (f"resuming after epoch {done}" if resume else "starting")
    )
    recorder.flush(log_tail=run.log_tail)
    try:
        with shutdown.installed(), limit_blas_threads(settings.HIPPO_RUN_BLAS_THREADS):
            try:
                result = run_training(
                    config,
                    splits,
                    on_progress=recorder.on_progress,
                    on_epoch=recorder.on_epoch,
                    checkpoint_path=checkpoint_path,
                    resume=resume,
                )
            except NothingToSave as exc:
                recorder.failed(exc)
                return str(recorder.run.status)
            status = status_of(result)
            files = None
            # Files only for a run that is still this worker's: after a lapsed lease another
            # worker may be resuming it into the same folder.
            if status == RunStatus.SUCCEEDED and owns(run):
                files = write_model_files(result, run_directory(run.pk), run.name or None)
            recorder.finished(result, files)
            return str(status)
    except (SystemExit, KeyboardInterrupt):
        # The worker was told twice to stop: the run can be resumed from its checkpoint.
        end(run, RunStatus.INTERRUPTED, error="the worker was stopped")
        raise
    except BaseException as exc:
        logger.exception("run %s failed", run_id)
        recorder.failed(exc)
        raise


def _checkpoint_to_resume(run: TrainingRun, path: Path) -> RunCheckpoint | None:
    """The run's checkpoint, when an earlier attempt left one that matches its configuration."""
    if not path.is_file():
        return None
    try:
        checkpoint = load_checkpoint(path)
    except CheckpointError as exc:
        logger.warning("run %s: starting again, %s", run.pk, exc)
        return None
    recorded: dict[str, Any] = dict(run.hyperparameters)
    saved = checkpoint.config.to_dict()
    if recorded.get("seed") is None:
        recorded["seed"] = saved["seed"]
    if saved != recorded:
        logger.warning("run %s: its checkpoint is of another configuration; starting again", run.pk)
        return None
    return checkpoint


__all__ = ["CHECKPOINT_NAME", "SHUTDOWN", "execute_run"]
