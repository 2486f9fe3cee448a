"""The runs' admin: list, filter, search, read the curves; delete unless published (files too).

Everything a run records is written by the process that runs it, so every field but ``tags``,
``notes`` and ``cancel_requested`` is read-only here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from runs.deletion import RunIsPublished, delete_run
from runs.models import RunMetric, TrainingRun
from runs.services import RunStateError, request_cancel, resume_run

EDITABLE_FIELDS = ("tags", "notes", "cancel_requested")


class TagFilter(admin.SimpleListFilter):
    """Runs carrying one tag (tags are a JSON list, so the choices are collected from the rows)."""

    title = "tag"
    parameter_name = "tag"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        """Every tag some run has."""
        tags: set[str] = set()
        for row in TrainingRun.objects.exclude(tags=[]).values_list("tags", flat=True):
            tags.update(str(tag) for tag in row or [])
        return [(tag, tag) for tag in sorted(tags)]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[TrainingRun]
    ) -> QuerySet[TrainingRun]:
        """The runs with the chosen tag (filtered in Python: JSON ``contains`` is not on SQLite)."""
        tag = self.value()
        if not tag:
            return queryset
        ids = [pk for pk, tags in queryset.values_list("pk", "tags") if tag in (tags or [])]
        return queryset.filter(pk__in=ids)


class RunMetricInline(admin.TabularInline):  # type: ignore[type-arg]
    """A run's metric rows, read-only (its curves in numbers)."""

    model = RunMetric
    fields = ("epoch", "step", "name", "value")
    readonly_fields = ("epoch", "step", "name", "value")
    extra = 0
    can_delete = False
    max_num = 0
    ordering = ["name", "step"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Metrics come from training only."""
        return False


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Training runs: filters by status, architecture, source and tag; search; read-only record."""

    list_display = [
        "id",
        "architecture",
        "status",
        "source",
        "created_by",
        "created_at",
        "epochs_completed",
        "best_validation_accuracy",
        "machine",
    ]
    list_filter = ["status", "architecture", "source", TagFilter]
    search_fields = ["architecture", "name", "notes", "machine", "worker_id", "log_tail"]
    date_hierarchy = "created_at"
    inlines = [RunMetricInline]
    actions = ["cancel_runs", "resume_runs"]

    @admin.action(description="Cancel the selected runs (a running one stops within a second)")
    def cancel_runs(self, request: HttpRequest, queryset: QuerySet[TrainingRun]) -> None:
        """Cancel through the service; runs that already ended are named."""
        self._each(request, queryset, request_cancel, "cancelled")

    @admin.action(description="Resume the selected interrupted runs")
    def resume_runs(self, request: HttpRequest, queryset: QuerySet[TrainingRun]) -> None:
        """Queue interrupted runs again (from their last epoch checkpoint)."""
        self._each(request, queryset, resume_run, "queued again")

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[TrainingRun],
        operation: Any,
        done: str,
    ) -> None:
        changed, refused = [], []
        for run in queryset:
            try:
                operation(run)
                changed.append(str(run.pk))
            except RunStateError as exc:
                refused.append(str(exc))
        if changed:
            self.message_user(request, f"Runs {done}: {', '.join(changed)}")
        for message in refused:
            self.message_user(request, message, level=messages.WARNING)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        """Every field but tags, notes and the cancel request."""
        return [f.name for f in TrainingRun._meta.fields if f.name not in EDITABLE_FIELDS]

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Runs are started by `train_mnist`, the API or the page, never typed in."""
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """A published run cannot be deleted (its model is in the registry)."""
        if isinstance(obj, TrainingRun) and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: TrainingRun) -> None:
        """Delete through the service, so that the files go too."""
        delete_run(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TrainingRun]) -> None:
        """Delete each run with its files; published runs are kept and named."""
        kept = []
        for run in queryset:
            try:
                delete_run(run)
            except RunIsPublished:
                kept.append(str(run.pk))
        if kept:
            self.message_user(
                request,
                f"Published runs were not deleted: {', '.join(kept)}",
                level=messages.WARNING,
            )
