"""A Hub that answers at once but sends its body one byte at a time cannot outlast a deadline.

The Hub test double's "trickling" mode sends status and headers at once, then the body one byte
every `trickle_interval` seconds: every read of the body succeeds well inside the read timeout,
so only the operation's deadline can end it. Each scenario runs the real huggingface_hub client
over HTTP with a small deadline and checks that it ends by deadline + 5 s (a hang detector, not a
timing benchmark: the figures are printed).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from inference.network_cache import reset_network_cache
from registry import services
from registry.downloads import get_downloads, reset_downloads
from registry.errors import StoreUnreachable
from registry.models import RegisteredModel, Status
from tests.api.helpers import assert_error, post_json
from tests.registry.conftest import MakeModel, StoreEnv

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

    from tests.fixtures.hub_server import HubDouble

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

DEADLINE = 3
GRACE = 5.0
"""What the issue allows beyond a deadline (the bound of every scenario here)."""


@pytest.fixture
def trickling(hub_env: StoreEnv, settings: SettingsWrapper) -> HubDouble:
    """A 3 s deadline, a read timeout longer than the gap between bytes, retries not limiting."""
    settings.HIPPO_HUB_CONNECT_TIMEOUT = 2
    settings.HIPPO_HUB_TIMEOUT = 5  # > the trickle interval: no single read ever times out
    settings.HIPPO_HUB_DEADLINE = DEADLINE
    settings.HIPPO_HUB_ADMIN_DEADLINE = DEADLINE
    settings.HIPPO_HUB_RETRIES = 10  # only the deadline can end the operation
    settings.HIPPO_HUB_RETRY_AFTER = 30  # a failed download is reported, not tried again
    settings.HIPPO_HUB_DOWNLOADS = 1  # one slot: a download holding it would block the next
    reset_downloads()
    reset_network_cache()
    assert hub_env.hub is not None
    hub_env.hub.trickle_interval = 1.0
    return hub_env.hub


def timed(label: str, deadline: float, started: float) -> float:
    elapsed = time.monotonic() - started
    print(f"{label}: {elapsed:.1f} s against a {deadline:g} s deadline")
    return elapsed


def test_sync_ends_by_its_deadline_while_the_body_trickles(
    trickling: HubDouble, make_model: MakeModel
) -> None:
    services.push_model(make_model("tiny-a"))
    before = list(RegisteredModel.objects.values())
    trickling.set_mode("trickling")

    started = time.monotonic()
    with pytest.raises(StoreUnreachable) as caught:
        services.sync_models()
    elapsed = timed("sync_models (trickling Hub)", DEADLINE, started)

    assert elapsed <= DEADLINE + GRACE
    message = caught.value.message
    assert f"gave up after the {DEADLINE} s deadline" in message, message
    assert "still sending" in message, message
    assert list(RegisteredModel.objects.values()) == before


def test_the_sync_command_ends_by_its_deadline_and_says_why(
    trickling: HubDouble, make_model: MakeModel
) -> None:
    services.push_model(make_model("tiny-a"))
    trickling.set_mode("trickling")

    started = time.monotonic()
    with pytest.raises(CommandError) as caught:
        call_command("sync_models")
    elapsed = timed("manage.py sync_models (trickling Hub)", DEADLINE, started)

    assert elapsed <= DEADLINE + GRACE
    assert "deadline" in str(caught.value)
    assert "The registry is unchanged" in str(caught.value)


def test_a_read_after_the_last_byte_waits_only_for_what_is_left_of_the_deadline(
    trickling: HubDouble, make_model: MakeModel, settings: SettingsWrapper
) -> None:
    """Bytes arrive just inside the deadline, then the next gap outlasts it.

    The read timeout (10 s) and the gap (7.5 s) are both longer than the allowance: a read that
    kept its own timeout would end 7.5 s or more after the 8 s deadline.
    """
    deadline = 8
    services.push_model(make_model("tiny-a"))
    settings.HIPPO_HUB_TIMEOUT = 10
    settings.HIPPO_HUB_DEADLINE = deadline
    trickling.trickle_interval = 7.5
    trickling.set_mode("trickling")

    started = time.monotonic()
    with pytest.raises(StoreUnreachable, match=f"gave up after the {deadline} s deadline"):
        services.sync_models()
    elapsed = timed("sync_models (stalling Hub)", deadline, started)

    assert elapsed <= deadline + GRACE


def test_the_admin_sync_answers_by_its_deadline_while_the_body_trickles(
    trickling: HubDouble, make_model: MakeModel, client: Client, django_user_model: Any
) -> None:
    services.push_model(make_model("tiny-a"))
    django_user_model.objects.create_user(
        "staff", password="a-long-test-password", is_staff=True, is_superuser=True
    )
    assert client.login(username="staff", password="a-long-test-password")
    trickling.set_mode("trickling")

    started = time.monotonic()
    response = client.post(reverse("admin:registry_registeredmodel_sync"), follow=True)
    elapsed = timed("admin sync (trickling Hub)", DEADLINE, started)

    assert elapsed <= DEADLINE + GRACE
    assert response.status_code == 200
    text = " ".join(str(message) for message in response.context["messages"])
    assert "Sync failed after" in text
    assert f"gave up after the {DEADLINE} s deadline" in text
    assert "registry is unchanged" in text
    assert RegisteredModel.objects.get(name="tiny-a").status == Status.AVAILABLE


def test_a_background_download_ends_by_its_deadline_and_frees_its_slot(
    trickling: HubDouble,
    make_model: MakeModel,
    settings: SettingsWrapper,
    tmp_path: Path,
    client: Client,
) -> None:
    services.push_model(make_model("tiny-a"))
    services.push_model(make_model("tiny-b", seed=1))
    settings.HIPPO_HF_CACHE = tmp_path / "empty-cache"  # both must be downloaded again
    reset_network_cache()
    trickling.set_mode("trickling")
    body = {"pixels": [0.5] * 784, "model": "tiny-a"}

    started = time.monotonic()
    assert_error(post_json(client, "/predict", body), 503, "model_downloading")
    assert get_downloads().wait_idle(DEADLINE + GRACE + 5), "the download is still running"
    elapsed = timed("background download (trickling Hub)", DEADLINE, started)
    assert elapsed <= DEADLINE + GRACE

    error = assert_error(post_json(client, "/predict", body), 503, "hub_unreachable")
    assert f"gave up after the {DEADLINE} s deadline" in error["message"], error

    # The one download slot is free again: the other model downloads once the Hub is well.
    trickling.set_mode("normal")
    other = {"pixels": [0.5] * 784, "model": "tiny-b"}
    assert_error(post_json(client, "/predict", other), 503, "model_downloading")
    assert get_downloads().wait_idle(DEADLINE + GRACE)
    answer = post_json(client, "/predict", other)
    assert answer.status_code == 200, answer.content[:300]
