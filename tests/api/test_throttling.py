"""DRF throttling, configured by settings (`HIPPO_THROTTLE_ANON`): 429 in the error envelope."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import get_resolver
from pytest_django.fixtures import Settings
from rest_framework.throttling import SimpleRateThrottle

from registry.models import RegisteredModel
from tests.api.helpers import assert_error, digit_pixels, post_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_per_minute(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Load the URLconf first: DRF copies throttle settings into classes when they are defined,
    # and views defined during the override would keep its rate for the rest of the session.
    get_resolver().url_patterns  # noqa: B018 - imports every view
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/minute"})
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_CLASSES": ["api.clients.ClientAnonRateThrottle"],
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute"},
    }
    yield
    cache.clear()


def test_over_the_rate_is_429(
    client: Client, registered_model: RegisteredModel, two_per_minute: None
) -> None:
    body = {"pixels": digit_pixels()}
    assert post_json(client, "/predict", body).status_code == 200
    assert client.get("/models").status_code == 200
    response = post_json(client, "/predict", body)
    error = assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert error["fields"] == {}


def test_probes_are_never_throttled(
    client: Client, registered_model: RegisteredModel, two_per_minute: None
) -> None:
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200


def test_no_throttling_by_default(client: Client, registered_model: RegisteredModel) -> None:
    for _ in range(10):
        assert client.get("/models").status_code == 200


def test_the_throttle_counts_clients_by_the_one_address_rule(
    client: Client, registered_model: RegisteredModel, two_per_minute: None, settings: Settings
) -> None:
    # Behind a trusted proxy each forwarded client has its own budget; a header a client sends
    # straight to the server (not through the proxy) is never believed.
    settings.HIPPO_TRUSTED_PROXIES = ["10.0.0.0/8"]
    body = {"pixels": digit_pixels()}

    def predict(remote: str, forwarded: str) -> int:
        return post_json(
            client, "/predict", body, REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded
        ).status_code

    assert [predict("10.0.0.5", "203.0.113.7") for _ in range(3)] == [200, 200, 429]
    assert predict("10.0.0.5", "203.0.113.8") == 200  # another client behind the same proxy
    # Straight from the internet, a made-up header does not buy a fresh budget.
    assert [predict("198.51.100.1", f"192.0.2.{n}") for n in range(3)] == [200, 200, 429]
