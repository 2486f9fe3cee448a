"""Model rows are reused for at most `MAX_AGE_SECONDS`, on any engine; a change is then seen.

Run with real transactions (`transaction=True`): inside an atomic block the cache always queries,
which is what the ordinary test database would give. The clock the cache reads is moved forward
instead of sleeping.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from inference import row_cache
from inference.resolver import ROWS, resolve_network
from inference.services import LISTINGS, list_models, model_detail
from registry.models import RegisteredModel

pytestmark = pytest.mark.django_db(transaction=True)


class Clock:
    """A `time.monotonic` the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr("inference.row_cache.monotonic", fake)
    ROWS.clear()
    LISTINGS.clear()
    return fake


def default_name() -> tuple[str, int]:
    """The default model's name as a request resolves it, and the queries that took."""
    with CaptureQueriesContext(connection) as queries:
        name, _network = resolve_network(None)
    return name, len(queries)


def switch_default(to: RegisteredModel) -> None:
    """Change the default with a raw update, as another worker or machine would."""
    RegisteredModel.objects.update(is_default=False)
    RegisteredModel.objects.filter(pk=to.pk).update(is_default=True)


def test_rows_are_reused_then_read_again(
    clock: Clock, two_registered_models: tuple[RegisteredModel, RegisteredModel]
) -> None:
    first, second = two_registered_models
    assert default_name()[0] == first.name
    assert default_name() == (first.name, 0)  # remembered: no query
    switch_default(second)
    clock.now += row_cache.MAX_AGE_SECONDS / 2
    assert default_name() == (first.name, 0)  # still within the age limit
    clock.now += row_cache.MAX_AGE_SECONDS / 2
    assert default_name()[0] == second.name  # read again (and the new network loaded)
    assert default_name() == (second.name, 0)
    assert row_cache.MAX_AGE_SECONDS <= 0.5  # the promise: a change is served within 1 s


def test_a_disabled_default_is_refused_after_the_age_limit(
    clock: Clock, registered_model: RegisteredModel
) -> None:
    assert default_name()[0] == registered_model.name
    RegisteredModel.objects.update(enabled=False)
    clock.now += row_cache.MAX_AGE_SECONDS
    with pytest.raises(Exception, match=r"default|disabled"):
        resolve_network(None)


def test_inside_a_transaction_every_lookup_queries(
    clock: Clock, two_registered_models: tuple[RegisteredModel, RegisteredModel]
) -> None:
    first, second = two_registered_models
    assert default_name()[0] == first.name
    with transaction.atomic():
        switch_default(second)
        assert default_name()[0] == second.name  # its own uncommitted write
        assert default_name() == (second.name, 1)  # never cached: queried again
    clock.now += row_cache.MAX_AGE_SECONDS
    assert default_name()[0] == second.name


def test_named_lookups_are_cached_per_name(
    clock: Clock, two_registered_models: tuple[RegisteredModel, RegisteredModel]
) -> None:
    first, second = two_registered_models
    for entry in (first, second):
        assert resolve_network(entry.name)[0] == entry.name  # read, loaded, remembered
    with CaptureQueriesContext(connection) as queries:
        for entry in (first, second):
            assert resolve_network(entry.name)[0] == entry.name
    assert len(queries) == 0
    clock.now += row_cache.MAX_AGE_SECONDS
    with CaptureQueriesContext(connection) as queries:
        for entry in (first, second):
            assert resolve_network(entry.name)[0] == entry.name
    assert len(queries) == 2  # one row read per name


def test_listings_are_reused_then_read_again(
    clock: Clock, two_registered_models: tuple[RegisteredModel, RegisteredModel]
) -> None:
    first, second = two_registered_models
    assert list_models()["default"] == first.name
    assert model_detail(second.name)["is_default"] is False
    switch_default(second)
    with CaptureQueriesContext(connection) as queries:
        assert list_models()["default"] == first.name
        assert model_detail(second.name)["is_default"] is False
    assert len(queries) == 0
    clock.now += row_cache.MAX_AGE_SECONDS
    assert list_models()["default"] == second.name
    assert model_detail(second.name)["is_default"] is True
