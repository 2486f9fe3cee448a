"""Training runs as rows: what was trained, by whom, how it went, and its curves (`RunMetric`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

LOG_TAIL_CHARS = 8000
"""The most characters of a run's log kept in the database (the newest lines)."""


class Source(models.TextChoices):
    """Where a run was started."""

    CLI = "cli", "Command line"
    PAGE = "page", "Page"
    API = "api", "API"


class RunStatus(models.TextChoices):
    """A run's life: queued → running → one of the four ends.

    ``cancelled`` is a stop someone asked for (the API, the admin, Ctrl-C of ``train_mnist``);
    ``interrupted`` is a stop nobody asked for (the worker died or was shut down): such a run can
    be resumed from its last epoch checkpoint.
    """

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    INTERRUPTED = "interrupted", "Interrupted"


FINISHED = frozenset(
    {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.INTERRUPTED}
)
"""The statuses in which no process is working on the run."""


class TrainingRun(models.Model):
    """One training run: its configuration, its life, its results and its files.

    ``hyperparameters`` is :meth:`nn_core.hyperparameters.Hyperparameters.to_dict` (validated
    by :func:`runs.services.create_run`); ``model_files`` is a list of ``{"path", "sha256"}``.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="training_runs",
    )
    source = models.CharField(max_length=8, choices=Source.choices)
    hyperparameters = models.JSONField()
    architecture = models.CharField(max_length=500, blank=True, db_index=True)
    name = models.CharField(
        max_length=100, blank=True, help_text="The model name asked for (blank: a default)."
    )

    status = models.CharField(
        max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    machine = models.CharField(max_length=255, blank=True, help_text="Host name of the worker.")
    worker_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(
        default=0, help_text="How many times a process started (or resumed) this run."
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    log_tail = models.TextField(blank=True)

    epochs_completed = models.PositiveIntegerField(default=0)
    best_epoch = models.PositiveIntegerField(null=True, blank=True)
    best_validation_accuracy = models.FloatField(null=True, blank=True)
    test_metrics = models.JSONField(null=True, blank=True)
    confusion_matrix = models.JSONField(null=True, blank=True)
    model_files = models.JSONField(default=list, blank=True)
    checkpoint_path = models.CharField(max_length=1000, blank=True)
    registered_model = models.ForeignKey(
        "registry.RegisteredModel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="training_runs",
    )

    tags = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        """Newest first; the sweeper looks runs up by status and lease."""

        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "lease_expires_at"], name="runs_lease_idx")]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.architecture or '?'}, {self.status})"

    @property
    def is_finished(self) -> bool:
        """Whether no process is working on the run."""
        return self.status in FINISHED

    @property
    def is_published(self) -> bool:
        """Whether its model is in the registry (a published run cannot be deleted)."""
        return self.registered_model_id is not None

    def append_log(self, text: str) -> None:
        """Add lines to ``log_tail``, keeping only the newest :data:`LOG_TAIL_CHARS`."""
        combined = (self.log_tail + text.rstrip("\n") + "\n")[-LOG_TAIL_CHARS:]
        self.log_tail = combined


class RunMetric(models.Model):
    """One value of a run's curve: ``name`` at ``step`` (examples seen) in ``epoch``.

    Names: per epoch ``train_loss``, ``validation_loss``, ``validation_accuracy``,
    ``learning_rate``, ``epoch_seconds``; per progress beat ``examples_per_second`` and
    ``seconds`` (since the run started).
    """

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="metrics")
    step = models.PositiveBigIntegerField(help_text="Training examples seen when measured.")
    epoch = models.PositiveIntegerField()
    name = models.CharField(max_length=64)
    value = models.FloatField()

    class Meta:
        """A curve is read by (run, name) in step order."""

        ordering = ["run", "name", "step"]
        indexes = [models.Index(fields=["run", "name", "step"], name="runs_metric_curve_idx")]

    def __str__(self) -> str:
        return f"{self.name}@{self.step} = {self.value:g}"
