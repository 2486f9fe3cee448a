"""The runs' tasks on Django's task framework (``django.tasks``).

``django-tasks-db`` stores them in the database and its ``db_worker`` command runs them.
"""

from __future__ import annotations

from typing import Any

from django.tasks import TaskContext, task

from runs.execution import execute_run
from runs.lifecycle import default_worker_id, sweep_lapsed_runs


@task(takes_context=True)
def train_run(context: TaskContext[Any, Any], run_id: int) -> str:
    """Execute the queued run ``run_id`` in this worker; its final status.

    Runs whose worker died are marked interrupted first (the sweep is cheap: one indexed query).
    """
    sweep_lapsed_runs()
    workers = context.task_result.worker_ids
    worker_id = workers[-1] if workers else default_worker_id()
    return execute_run(run_id, worker_id)
