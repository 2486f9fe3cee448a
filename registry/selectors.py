"""Which models the registry offers: the servable ones, the most accurate, the default rule.

Reads only; the writes that act on these answers (`make_default`, the initial default of push
and sync) are in `registry.defaults`. `ensure_model` (training) asks the same rule, so the
registry and the starter-model command never disagree on which model should be the default.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import F, QuerySet

from registry.errors import ModelBroken, ModelNotFound, ModelUnavailable, NoDefaultModel
from registry.models import RegisteredModel, Status


def list_enabled_models() -> QuerySet[RegisteredModel]:
    """The enabled models (whatever their status), ordered by name."""
    return RegisteredModel.objects.filter(enabled=True).order_by("name")


def servable() -> QuerySet[RegisteredModel]:
    """Enabled models whose files were found and validated by the last push or sync."""
    return RegisteredModel.objects.filter(enabled=True, status=Status.AVAILABLE)


def most_accurate(models: QuerySet[RegisteredModel]) -> RegisteredModel | None:
    """The model of `models` with the highest test accuracy (unknown accuracy last; ties: name)."""
    return models.order_by(F("test_accuracy").desc(nulls_last=True), "name").first()


def default_candidate(notes: list[str]) -> RegisteredModel | None:
    """The model that should become the default when there is none (the rule; writes nothing).

    `DEFAULT_MODEL` when it names a servable model; when it is set but names none, nothing: an
    explicit choice is waited for, never replaced (the reason is appended to `notes`). Unset:
    the most accurate servable model.
    """
    wanted = settings.DEFAULT_MODEL
    if not wanted:
        return most_accurate(servable())
    chosen = servable().filter(name=wanted).first()
    if chosen is None:
        notes.append(f"DEFAULT_MODEL '{wanted}' is not an available model yet")
    return chosen


def get_default_model() -> RegisteredModel:
    """The default model: the one chosen (admin, sync), else the one `DEFAULT_MODEL` names.

    Raises:
        NoDefaultModel: No model is the default and `DEFAULT_MODEL` names no registered model.
    """
    entry = RegisteredModel.objects.filter(is_default=True).first()
    if entry is None and settings.DEFAULT_MODEL:
        entry = RegisteredModel.objects.filter(name=settings.DEFAULT_MODEL).first()
    if entry is None:
        raise NoDefaultModel(
            "no default model is set: choose one in the admin, or push or sync a model"
        )
    return entry


def check_servable(entry: RegisteredModel) -> RegisteredModel:
    """Return `entry` when it may be served.

    Raises:
        ModelBroken: Its files failed verification.
        ModelUnavailable: It is disabled or no longer in the store.
    """
    if entry.status == Status.BROKEN:
        raise ModelBroken(f"model '{entry.name}' is broken: {entry.status_reason}")
    if entry.status == Status.UNAVAILABLE:
        reason = f": {entry.status_reason}" if entry.status_reason else ""
        raise ModelUnavailable(f"model '{entry.name}' is unavailable{reason}")
    if not entry.enabled:
        raise ModelUnavailable(f"model '{entry.name}' is disabled")
    return entry


def resolve_model(name: str | None) -> RegisteredModel:
    """The servable model called `name`, or the default model when `name` is None.

    Raises:
        ModelNotFound: No model has that name.
        NoDefaultModel: `name` is None and there is no default.
        ModelUnavailable: The model is disabled or no longer in the store.
        ModelBroken: The model's files failed verification.
    """
    if name is None:
        return check_servable(get_default_model())
    entry = RegisteredModel.objects.filter(name=name).first()
    if entry is None:
        raise ModelNotFound(f"no model named '{name}'")
    return check_servable(entry)
