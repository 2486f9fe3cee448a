"""Setting the default model: `make_default`, and the initial default of push and sync.

Which model should be the default is decided in `registry.selectors` (`default_candidate`); this
module only writes the choice, so exactly one row is ever the default.
"""

from __future__ import annotations

import logging

from django.db import transaction

from registry.loading import load_network
from registry.models import RegisteredModel
from registry.selectors import check_servable, default_candidate

logger = logging.getLogger(__name__)


def choose_initial_default(notes: list[str]) -> RegisteredModel | None:
    """Make a default when there is none: `DEFAULT_MODEL`, or (unset) the most accurate model.

    Call inside a transaction. Once a default exists (chosen in the admin or here), it is kept.
    """
    if RegisteredModel.objects.filter(is_default=True).exists():
        return None
    chosen = default_candidate(notes)
    if chosen is not None:
        RegisteredModel.objects.filter(pk=chosen.pk).update(is_default=True)
        chosen.is_default = True
    return chosen


def make_default(entry: RegisteredModel, *, validate: bool = True) -> None:
    """Make `entry` the one default model.

    Args:
        entry: The model.
        validate: Load the model first (checksum and shapes), so a broken model never becomes
            the default.

    Raises:
        ModelBroken, ModelUnavailable: The model is broken, disabled or not in the store; the
            current default stays.
    """
    entry.refresh_from_db()
    check_servable(entry)
    if validate:
        load_network(entry, wait=True)
    with transaction.atomic():
        RegisteredModel.objects.filter(is_default=True).exclude(pk=entry.pk).update(
            is_default=False
        )
        RegisteredModel.objects.filter(pk=entry.pk).update(is_default=True)
    entry.is_default = True
    logger.info("default model is now %s", entry.name)
