"""Every Hub call is bounded, and requests never wait on the Hub (real huggingface_hub client).

The Hub test double is switched to "hanging" (accepts, reads, never answers) or "refusing" (port
closed). The bounds are set small (1 s read timeout, 3 s deadline) so the tests are quick; each
check allows generous slack: they assert that calls end by their deadline, not how fast they are.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client
from django.urls import reverse

from inference.network_cache import reset_network_cache
from registry import services
from registry.downloads import get_downloads, reset_downloads
from registry.errors import ModelPending, ModelUnavailable, StoreUnreachable
from registry.models import RegisteredModel, Status
from tests.api.helpers import assert_error, post_json
from tests.registry.conftest import MakeModel, StoreEnv

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

    from tests.fixtures.hub_server import HubDouble

pytestmark = pytest.mark.django_db

DEADLINE = 3
SLACK = 10.0
"""Seconds beyond the deadline a call may take (one backoff sleep, scheduling on a busy machine)."""
HELD = 6
"""The deadline (and read timeout) of the test of requests answered during a download."""


@pytest.fixture
def bounded(hub_env: StoreEnv, settings: SettingsWrapper) -> HubDouble:
    """Small Hub bounds; no background download or loaded network left from other tests."""
    settings.HIPPO_HUB_CONNECT_TIMEOUT = 1
    settings.HIPPO_HUB_TIMEOUT = 1
    settings.HIPPO_HUB_DEADLINE = DEADLINE
    settings.HIPPO_HUB_RETRIES = 1
    settings.HIPPO_HUB_RETRY_AFTER = 30
    reset_downloads()
    reset_network_cache()
    assert hub_env.hub is not None
    return hub_env.hub


def uncached(hub_env: StoreEnv, settings: SettingsWrapper, tmp_path: Path) -> None:
    """Point the Hub cache at an empty folder: pushed models must be downloaded again."""
    settings.HIPPO_HF_CACHE = tmp_path / "empty-cache"
    reset_network_cache()


@pytest.mark.parametrize("mode", ["hanging", "refusing"])
def test_sync_ends_by_its_deadline_and_says_why(
    bounded: HubDouble, make_model: MakeModel, mode: str
) -> None:
    services.push_model(make_model("tiny-a"))
    before = list(RegisteredModel.objects.values())
    bounded.set_mode(mode)

    started = time.monotonic()
    with pytest.raises(StoreUnreachable) as caught:
        services.sync_models()
    elapsed = time.monotonic() - started

    assert elapsed < DEADLINE + SLACK
    message = caught.value.message
    assert "cannot reach the Hugging Face Hub" in message
    expected = "did not answer in time" if mode == "hanging" else "refused"
    assert expected in message or "deadline" in message, message
    assert "missing" not in message
    assert list(RegisteredModel.objects.values()) == before


@pytest.mark.parametrize("mode", ["hanging", "refusing"])
def test_push_ends_by_its_deadline(bounded: HubDouble, make_model: MakeModel, mode: str) -> None:
    bounded.set_mode(mode)
    started = time.monotonic()
    with pytest.raises(StoreUnreachable, match="cannot reach the Hugging Face Hub"):
        services.push_model(make_model("tiny-a"))
    assert time.monotonic() - started < DEADLINE + SLACK
    assert not RegisteredModel.objects.exists()


def test_an_uncached_hub_model_downloads_in_the_background(
    bounded: HubDouble,
    hub_env: StoreEnv,
    make_model: MakeModel,
    settings: SettingsWrapper,
    tmp_path: Path,
    client: Client,
) -> None:
    entry = services.push_model(make_model("tiny-a"))
    uncached(hub_env, settings, tmp_path)
    body = {"pixels": [0.5] * 784, "model": "tiny-a"}

    first = post_json(client, "/predict", body)
    error = assert_error(first, 503, "model_downloading")
    assert "being downloaded" in error["message"]
    assert first["Retry-After"] == "2"
    assert get_downloads().wait_idle(DEADLINE + SLACK)

    answer = post_json(client, "/predict", body)
    assert answer.status_code == 200, answer.content[:300]
    entry.refresh_from_db()
    assert entry.status == Status.AVAILABLE


@pytest.mark.parametrize("mode", ["hanging", "refusing"])
def test_an_unreachable_hub_is_reported_as_such_at_once(
    bounded: HubDouble,
    hub_env: StoreEnv,
    make_model: MakeModel,
    settings: SettingsWrapper,
    tmp_path: Path,
    client: Client,
    mode: str,
) -> None:
    local_default = make_model("local-a")
    services.push_model(make_model("tiny-a"))
    uncached(hub_env, settings, tmp_path)
    # A default in the local store keeps being served whatever the Hub does.
    settings.HF_MODEL_REPO = ""
    settings.HIPPO_LOCAL_HUB = tmp_path / "local_hub"
    services.make_default(services.push_model(local_default))
    # A request that waited on the hanging Hub would be held for the whole deadline (its read
    # timeout is the deadline here), so a bound of half the deadline still tells "answered at
    # once" from "waited on the Hub", with seconds of room for a loaded machine.
    settings.HIPPO_HUB_DEADLINE = settings.HIPPO_HUB_TIMEOUT = HELD
    bounded.set_mode(mode)
    body = {"pixels": [0.5] * 784, "model": "tiny-a"}

    for _ in range(3):  # answered at once, while the one download is under way
        started = time.monotonic()
        error = assert_error(post_json(client, "/predict", body), 503, "model_downloading")
        assert time.monotonic() - started < HELD / 2, error
        assert post_json(client, "/predict", {"pixels": [0.5] * 784}).status_code == 200
    assert get_downloads().wait_idle(HELD + SLACK)

    failed = post_json(client, "/predict", body)
    error = assert_error(failed, 503, "hub_unreachable")
    assert "unreachable" in error["message"]
    assert ("did not answer in time" if mode == "hanging" else "refused") in error["message"]
    assert "missing" not in error["message"]
    assert 1 <= int(failed["Retry-After"]) <= 30
    row = RegisteredModel.objects.get(name="tiny-a")
    assert row.status == Status.AVAILABLE  # the Hub being down breaks nothing


def test_readyz_reports_the_hub_state_of_the_default(
    bounded: HubDouble,
    hub_env: StoreEnv,
    make_model: MakeModel,
    settings: SettingsWrapper,
    tmp_path: Path,
    client: Client,
) -> None:
    services.make_default(services.push_model(make_model("tiny-a")))
    assert client.get("/readyz").json()["checks"]["hub"]["state"] == "cached"
    uncached(hub_env, settings, tmp_path)
    bounded.set_mode("hanging")

    ready = client.get("/readyz")
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["hub"]["state"] == "downloading"  # the probe itself started the download
    assert "being downloaded" in checks["model"]["detail"]
    assert get_downloads().wait_idle(DEADLINE + SLACK)
    checks = client.get("/readyz").json()["checks"]
    assert checks["hub"]["state"] == "unreachable"
    assert "did not answer in time" in checks["hub"]["detail"]

    bounded.set_mode("normal")
    settings.HIPPO_HUB_RETRY_AFTER = 0
    client.get("/readyz")  # starts the next attempt
    assert get_downloads().wait_idle(DEADLINE + SLACK)
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.content
    assert ready.json()["checks"]["hub"]["state"] == "cached"


def test_making_an_uncached_hub_model_the_default_fetches_it_within_the_deadline(
    bounded: HubDouble,
    hub_env: StoreEnv,
    make_model: MakeModel,
    settings: SettingsWrapper,
    tmp_path: Path,
) -> None:
    entry = services.push_model(make_model("tiny-a"))
    uncached(hub_env, settings, tmp_path)
    bounded.set_mode("hanging")
    started = time.monotonic()
    with pytest.raises(ModelUnavailable, match=r"did not answer in time|deadline") as caught:
        services.make_default(entry)
    assert time.monotonic() - started < DEADLINE + SLACK
    assert not isinstance(caught.value, ModelPending)
    bounded.set_mode("normal")
    services.make_default(entry)
    assert services.get_default_model().name == "tiny-a"


def test_the_admin_sync_ends_by_its_deadline_and_reports(
    bounded: HubDouble,
    make_model: MakeModel,
    client: Client,
    django_user_model: Any,
    settings: SettingsWrapper,
) -> None:
    services.push_model(make_model("tiny-a"))
    settings.HIPPO_HUB_ADMIN_DEADLINE = 2
    settings.HIPPO_HUB_RETRIES = 10  # only the deadline can stop it
    user = django_user_model.objects.create_user("staff", is_staff=True, is_superuser=True)
    client.force_login(user)
    bounded.set_mode("hanging")

    started = time.monotonic()
    response = client.post(reverse("admin:registry_registeredmodel_sync"), follow=True)

    assert time.monotonic() - started < 2 + SLACK
    text = " ".join(str(message) for message in response.context["messages"])
    assert "Sync failed after" in text
    assert "deadline 2 s" in text
    assert "registry is unchanged" in text
    assert "did not answer in time" in text or "gave up after the 2 s deadline" in text
    assert RegisteredModel.objects.get(name="tiny-a").status == Status.AVAILABLE


def test_retries_of_a_failing_hub_are_bounded(
    bounded: HubDouble, hub_env: StoreEnv, make_model: MakeModel, settings: SettingsWrapper
) -> None:
    """huggingface_hub retries 5xx answers five times with sleeps of up to 8 s; not here."""
    entry = services.push_model(make_model("tiny-a"))
    store = hub_env.store()
    store.discard(entry.filename, entry.revision)
    settings.HIPPO_HUB_RETRIES = 1
    settings.HIPPO_HUB_DEADLINE = 30
    bounded.set_mode("failing")
    before = len(bounded.requests)

    started = time.monotonic()
    with pytest.raises(
        StoreUnreachable, match=r"gave up after 2 failed attempts \(last: HTTP 503\)"
    ):
        store.fetch(entry.filename, entry.revision)

    assert time.monotonic() - started < 30
    assert len(bounded.requests) - before == 2
