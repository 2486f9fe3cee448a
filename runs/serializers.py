"""The runs API's JSON: request bodies and query strings in, runs and metric rows out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.queries import QuerySerializer
from runs.models import RunStatus, TrainingRun
from runs.services import MAX_TAG_LENGTH, MAX_TAGS

MAX_LIMIT = 200
MAX_METRIC_ROWS = 10_000
MAX_STEP = 2**62


@extend_schema_field({"type": "string", "maxLength": MAX_TAG_LENGTH, "pattern": "^[^\\u0000]*$"})
class QueryText(serializers.CharField):
    """A short text in a query string, taken as given (an empty one is refused).

    The schema says what DRF refuses (NUL characters); nothing is trimmed, so that what the
    schema allows is what is accepted.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_TAG_LENGTH)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)


class StrictSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Unknown keys are refused (a typo is never silently ignored)."""

    def to_internal_value(self, data: Any) -> Any:
        """Refuse keys the serializer does not declare."""
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)


class RunCreateSerializer(StrictSerializer):
    """`POST /runs`: what to train."""

    hyperparameters = serializers.DictField(
        help_text="The run's configuration: any fields of the hyperparameter object (the others "
        'take their defaults), e.g. {"sizes": [784, 100, 10], "epochs": 5, "limit_train": '
        '10000, "seed": 1}. Validated like `train_mnist`\'s flags: an invalid value is a 400 '
        "naming `hyperparameters.<field>`."
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TAG_LENGTH),
        max_length=MAX_TAGS,
        required=False,
        default=list,
    )
    notes = serializers.CharField(required=False, default="", allow_blank=True, max_length=10_000)


class RunListQuerySerializer(QuerySerializer):
    """`GET /runs` query string."""

    status = serializers.ChoiceField(choices=RunStatus.choices, required=False)
    tag = QueryText(required=False)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=50)
    offset = serializers.IntegerField(min_value=0, max_value=MAX_STEP, default=0)


class MetricsQuerySerializer(QuerySerializer):
    """`GET /runs/{id}/metrics` query string."""

    name = QueryText(required=False, help_text="One curve only.")
    since_step = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_STEP,
        help_text="Only rows with a larger step (to poll for what is new).",
    )


class ModelFileSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A file a run produced."""

    name = serializers.CharField()
    sha256 = serializers.CharField()


class RunSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A run as the API shows it (no user names, no server paths)."""

    model_files = serializers.SerializerMethodField()
    registered_model = serializers.SerializerMethodField()
    hyperparameters = serializers.DictField()
    tags = serializers.ListField(child=serializers.CharField())
    test_metrics = serializers.DictField(allow_null=True)
    confusion_matrix = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()), allow_null=True
    )

    class Meta:
        """Every recorded field but the user, the worker's paths and the log."""

        model = TrainingRun
        fields = [
            "id",
            "status",
            "source",
            "architecture",
            "hyperparameters",
            "tags",
            "notes",
            "created_at",
            "started_at",
            "finished_at",
            "machine",
            "worker_id",
            "attempts",
            "lease_expires_at",
            "cancel_requested",
            "error",
            "epochs_completed",
            "best_epoch",
            "best_validation_accuracy",
            "test_metrics",
            "confusion_matrix",
            "model_files",
            "registered_model",
            "log_tail",
        ]
        read_only_fields = fields

    @extend_schema_field(ModelFileSerializer(many=True))
    def get_model_files(self, run: TrainingRun) -> list[dict[str, str]]:
        """File names and checksums (not where the server keeps them)."""
        return [
            {"name": Path(entry["path"]).name, "sha256": entry["sha256"]}
            for entry in run.model_files
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_registered_model(self, run: TrainingRun) -> str | None:
        """The registry name of the published model, if any."""
        model = run.registered_model
        return None if model is None else model.name


class RunListSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """`GET /runs`: a page of runs, newest first."""

    count = serializers.IntegerField(help_text="Runs matching the filters (all pages).")
    runs = RunSerializer(many=True)


class RunMetricSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One value of a curve."""

    name = serializers.CharField()
    step = serializers.IntegerField(help_text="Training examples seen.")
    epoch = serializers.IntegerField()
    value = serializers.FloatField()


class RunMetricsSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """`GET /runs/{id}/metrics`: rows ordered by name, then step."""

    run = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RunStatus.choices)
    metrics = RunMetricSerializer(many=True)
    truncated = serializers.BooleanField(
        help_text=f"More than {MAX_METRIC_ROWS} rows matched: ask again with `since_step`."
    )
