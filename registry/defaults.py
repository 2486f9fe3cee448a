"""The initial default model (shared by push and sync; `make_default` is in services)."""

from __future__ import annotations

from django.conf import settings

from registry.models import RegisteredModel, Status


def choose_initial_default(notes: list[str]) -> RegisteredModel | None:
    """Make a default when there is none: `DEFAULT_MODEL`, or (unset) the most accurate model.

    Call inside a transaction. Once a default exists (chosen in the admin or here), it is kept.
    """
    if RegisteredModel.objects.filter(is_default=True).exists():
        return None
    servable = RegisteredModel.objects.filter(enabled=True, status=Status.AVAILABLE)
    wanted = settings.DEFAULT_MODEL
    chosen: RegisteredModel | None
    if wanted:
        # An explicit DEFAULT_MODEL is waited for; no other model is chosen in its place.
        chosen = servable.filter(name=wanted).first()
        if chosen is None:
            notes.append(f"DEFAULT_MODEL '{wanted}' is not an available model yet")
    else:
        chosen = servable.exclude(test_accuracy=None).order_by("-test_accuracy", "name").first()
        chosen = chosen or servable.order_by("name").first()
    if chosen is not None:
        RegisteredModel.objects.filter(pk=chosen.pk).update(is_default=True)
        chosen.is_default = True
    return chosen
