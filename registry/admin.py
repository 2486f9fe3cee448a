"""The registry's admin: browse the mirrored models, choose the default, sync from the store.

Mirrored fields are read-only; `display_name`, `description`, `enabled` and `is_default` are
editable, and setting `is_default` goes through `make_default` (validation included), so
the admin can never make a broken or disabled model the default.

A list request whose query (a list filter, the search) or action selection holds a NUL character
is answered 400: PostgreSQL refuses NUL in text, so such a filter would reach the database and
fail there as a 500. (The other views never query with their query string.)
"""

from __future__ import annotations

import logging
import time
from typing import Any, TypeGuard

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import BadRequest
from django.db import DatabaseError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from registry.defaults import make_default
from registry.errors import RegistryError
from registry.layout import MIRRORED_FIELDS
from registry.loading import model_image_bytes
from registry.models import RegisteredModel, Status
from registry.safe_text import printable
from registry.sync import sync_models

logger = logging.getLogger(__name__)

TEMPLATES = "admin/registry/registeredmodel"
SYNC_ACTION = "sync_from_hub"


def _holds_nul(data: QueryDict) -> bool:
    return any("\x00" in key or "\x00" in value for key, values in data.lists() for value in values)


def refuse_nul(request: HttpRequest) -> None:
    """Raise `BadRequest` (a 400 page) when the query or the posted form holds a NUL character."""
    if _holds_nul(request.GET) or (request.method == "POST" and _holds_nul(request.POST)):
        raise BadRequest("the request holds a NUL character, which no field can contain")


class RegisteredModelForm(forms.ModelForm):  # type: ignore[type-arg]
    """Refuse disabling the default and defaulting a model that cannot be served."""

    class Meta:
        """The editable fields."""

        model = RegisteredModel
        fields = ["display_name", "description", "enabled", "is_default"]

    def validate_constraints(self) -> None:
        """Skip the model's only constraint (one default): `make_default` moves the flag safely."""

    def clean(self) -> dict[str, Any]:
        """Check `enabled` and `is_default` against the model's state."""
        data = super().clean() or {}
        instance = self.instance
        was_default = bool(instance.pk) and bool(self.initial.get("is_default"))
        if was_default and not data.get("is_default"):
            self.add_error(
                "is_default",
                "A default model is required: make another model the default instead.",
            )
        if data.get("is_default") and not data.get("enabled", True):
            self.add_error("enabled", "The default model cannot be disabled.")
        if data.get("is_default") and not was_default and instance.status != Status.AVAILABLE:
            self.add_error(
                "is_default",
                f"A {instance.status} model cannot become the default"
                + (f": {instance.status_reason}" if instance.status_reason else "."),
            )
        return data


def _confusion_rows(matrix: list[list[int]]) -> list[dict[str, Any]]:
    rows = []
    for true_label, counts in enumerate(matrix):
        total = sum(counts) or 1
        cells = [
            {
                "predicted": predicted,
                "count": count,
                "diagonal": predicted == true_label,
                # Shade by the share of the row; a floor keeps small errors visible.
                "alpha": f"{(0.08 + 0.8 * count / total) if count else 0:.2f}",
            }
            for predicted, count in enumerate(counts)
        ]
        rows.append({"label": true_label, "cells": cells})
    return rows


def _is_matrix(value: Any) -> TypeGuard[list[list[int]]]:
    return (
        isinstance(value, list)
        and bool(value)
        and all(
            isinstance(row, list) and all(isinstance(count, int) for count in row) for row in value
        )
    )


def _number(value: Any, digits: int = 4) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1 else f"{value:.2f}"
    return str(value)


@admin.register(RegisteredModel)
class RegisteredModelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """List, inspect and curate the registered models."""

    form = RegisteredModelForm
    list_display = [
        "name",
        "display_name",
        "architecture_column",
        "accuracy_column",
        "size_column",
        "status",
        "enabled",
        "is_default",
    ]
    list_display_links = ["name"]
    list_filter = ["status", "enabled", "is_default", "activation", "store"]
    search_fields = ["name", "display_name", "description", "activation"]
    ordering = ["name"]
    actions = ["make_default_action", SYNC_ACTION]
    readonly_fields = [
        *MIRRORED_FIELDS,
        "name",
        "revision",
        "status",
        "status_reason",
        "synced_at",
        "hub_link",
        "metrics_display",
        "confusion_matrix_display",
        "training_curves",
        "history_display",
    ]
    fieldsets = [
        (None, {"fields": ["name", "display_name", "description", "enabled", "is_default"]}),
        ("Status", {"fields": ["status", "status_reason", "synced_at"]}),
        (
            "Metrics",
            {"fields": ["test_accuracy", "metrics_display", "confusion_matrix_display"]},
        ),
        ("Training", {"fields": ["training_curves", "history_display", "created_at"]}),
        (
            "Files (mirrored from the store)",
            {
                "classes": ["collapse"],
                "fields": [
                    "store",
                    "repo",
                    "hub_link",
                    "revision",
                    "filename",
                    "metadata_filename",
                    "image_filename",
                    "sha256",
                    "size_bytes",
                    "sizes",
                    "input_shape",
                    "layers",
                    "activation",
                    "output",
                    "cost",
                    "metrics",
                    "training",
                ],
            },
        ),
    ]

    # --- permissions: rows come from the store, they are never added or deleted here ---

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Models are added by `push_model` / `sync_models`, not by hand."""
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: RegisteredModel | None = None
    ) -> bool:
        """Never delete: vanished models are marked unavailable instead."""
        return False

    # --- list columns ---

    @admin.display(description="architecture", ordering="sizes")
    def architecture_column(self, obj: RegisteredModel) -> str:
        """E.g. "784-100-10", or "1x28x28-conv3x3x16-pool2-...-dense10"."""
        return obj.architecture

    @admin.display(description="test accuracy", ordering="test_accuracy")
    def accuracy_column(self, obj: RegisteredModel) -> str:
        """Percent with two decimals."""
        return "—" if obj.test_accuracy is None else f"{obj.test_accuracy:.2f} %"

    @admin.display(description="size", ordering="size_bytes")
    def size_column(self, obj: RegisteredModel) -> str:
        """Weights file size in KiB."""
        return "—" if obj.size_bytes is None else f"{obj.size_bytes / 1024:.0f} KiB"

    # --- detail page ---

    @admin.display(description="repository page")
    def hub_link(self, obj: RegisteredModel) -> str:
        """A link to the Hub repository (the folder for the local store)."""
        if obj.hub_url:
            return format_html('<a href="{}" rel="noopener">{}</a>', obj.hub_url, obj.hub_url)
        return obj.repo

    @admin.display(description="metrics")
    def metrics_display(self, obj: RegisteredModel) -> SafeString:
        """Scalar metrics and the per-class accuracy."""
        metrics = obj.metrics or {}
        scalars = [
            (key.replace("_", " "), _number(value))
            for key, value in sorted(metrics.items())
            if isinstance(value, int | float) and not isinstance(value, bool)
        ]
        per_class_values = metrics.get("per_class_accuracy")
        per_class = (
            [(digit, _number(value)) for digit, value in enumerate(per_class_values)]
            if isinstance(per_class_values, list)
            else []
        )
        return mark_safe(  # noqa: S308 (rendered by a template, which escapes)
            render_to_string(
                f"{TEMPLATES}/metrics.html", {"metrics": scalars, "per_class": per_class}
            )
        )

    @admin.display(description="confusion matrix")
    def confusion_matrix_display(self, obj: RegisteredModel) -> SafeString | str:
        """A heatmap table: rows are the true digits, columns the predictions."""
        matrix = (obj.metrics or {}).get("confusion_matrix")
        if not _is_matrix(matrix):
            return "No confusion matrix recorded."
        return mark_safe(  # noqa: S308 (rendered by a template, which escapes)
            render_to_string(
                f"{TEMPLATES}/confusion_matrix.html",
                {"labels": list(range(len(matrix[0]))), "rows": _confusion_rows(matrix)},
            )
        )

    @admin.display(description="training curves")
    def training_curves(self, obj: RegisteredModel) -> str:
        """The training-curve image, served through `curves_view`."""
        if not obj.pk or not obj.image_filename:
            return "No training-curve image in the store."
        url = reverse("admin:registry_registeredmodel_curves", args=[obj.pk])
        return format_html(
            '<img src="{}" alt="Training curves of {}" style="max-width:720px;width:100%">',
            url,
            obj.name,
        )

    @admin.display(description="training history")
    def history_display(self, obj: RegisteredModel) -> SafeString:
        """One row per epoch."""
        history = (obj.training or {}).get("history")
        entries = (
            [row for row in history if isinstance(row, dict)] if isinstance(history, list) else []
        )
        columns: list[str] = []
        for row in entries:
            columns += [key for key in row if key not in columns]
        rows = [[_number(row.get(column, "")) for column in columns] for row in entries]
        return mark_safe(  # noqa: S308 (rendered by a template, which escapes)
            render_to_string(f"{TEMPLATES}/history.html", {"columns": columns, "rows": rows})
        )

    # --- saving: the default goes through make_default ---

    def save_model(
        self,
        request: HttpRequest,
        obj: RegisteredModel,
        form: forms.ModelForm[RegisteredModel],
        change: bool,
    ) -> None:
        """Save the local fields; make the model the default through `make_default`."""
        becomes_default = obj.is_default and not form.initial.get("is_default")
        if becomes_default:
            obj.is_default = False
        super().save_model(request, obj, form, change)
        if becomes_default:
            self._make_default(request, obj)

    def _make_default(self, request: HttpRequest, obj: RegisteredModel) -> None:
        try:
            make_default(obj)
        except RegistryError as exc:
            self.message_user(
                request, f"{obj.name} was not made the default: {exc.message}", messages.ERROR
            )
        else:
            self.message_user(request, f"{obj.name} is now the default model.", messages.SUCCESS)

    # --- actions ---

    @admin.action(description="Make default")
    def make_default_action(
        self, request: HttpRequest, queryset: QuerySet[RegisteredModel]
    ) -> None:
        """Make the one selected model the default (refused for broken or disabled models)."""
        selected = list(queryset[:2])
        if len(selected) != 1:
            self.message_user(
                request, "Select exactly one model to make it the default.", messages.ERROR
            )
            return
        self._make_default(request, selected[0])

    @admin.action(description="Sync from the Hub")
    def sync_from_hub(
        self, request: HttpRequest, queryset: QuerySet[RegisteredModel] | None = None
    ) -> None:
        """Mirror the store into the registry (the selection does not matter).

        It runs inside the web request, so it gets its own deadline (`HIPPO_HUB_ADMIN_DEADLINE`),
        shorter than a proxy's request timeout; the message says how long it took and why it
        stopped.
        """
        deadline = float(getattr(settings, "HIPPO_HUB_ADMIN_DEADLINE", 20))
        started = time.monotonic()
        try:
            report = sync_models(deadline=deadline)
        except RegistryError as exc:
            why = printable(exc.message)
        except (DatabaseError, OSError):
            # The database or the disk, not the sync: the site's 503 page says which, the same
            # as for every other page (`api.error_pages.server_error`).
            raise
        except Exception as exc:  # a page saying what happened, never a 500
            logger.exception("the admin's sync failed")
            why = f"unexpected error ({type(exc).__name__}), see the server log"
        else:
            why = ""
        if why:
            took = time.monotonic() - started
            self.message_user(
                request,
                f"Sync failed after {took:.1f} s (deadline {deadline:g} s), the registry is "
                f"unchanged: {why}",
                messages.ERROR,
            )
            return
        if report.skipped:
            level = messages.WARNING
        else:
            level = messages.SUCCESS if report.changed else messages.INFO
        self.message_user(request, " ".join(report.lines()), level)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Refuse NUL (module docstring); let "Sync from the Hub" run without selecting rows."""
        refuse_nul(request)
        if (
            request.method == "POST"
            and request.POST.get("action") == SYNC_ACTION
            and not request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
            and self.has_change_permission(request)
        ):
            self.sync_from_hub(request)
            return HttpResponseRedirect(request.get_full_path())
        return super().changelist_view(request, extra_context)

    # --- extra views ---

    def get_urls(self) -> list[URLPattern]:
        """Add the training-curve image and the sync button's endpoint."""
        extra = [
            path(
                "<int:pk>/curves.png",
                self.admin_site.admin_view(self.curves_view),
                name="registry_registeredmodel_curves",
            ),
            path(
                "sync/",
                self.admin_site.admin_view(self.sync_view),
                name="registry_registeredmodel_sync",
            ),
        ]
        return [*extra, *super().get_urls()]

    def curves_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The model's training-curve PNG, read through the store at the model's revision."""
        if not self.has_view_permission(request):
            raise Http404
        entry = get_object_or_404(RegisteredModel, pk=pk)
        data = model_image_bytes(entry)
        if data is None:
            raise Http404("no training-curve image")
        response = HttpResponse(data, content_type="image/png")
        response["Cache-Control"] = "private, max-age=3600"
        return response

    def sync_view(self, request: HttpRequest) -> HttpResponse:
        """POST: sync from the store, then back to the list."""
        if request.method != "POST" or not self.has_change_permission(request):
            raise Http404
        self.sync_from_hub(request)
        return HttpResponseRedirect(reverse("admin:registry_registeredmodel_changelist"))
