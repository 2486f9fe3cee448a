"""A download that fails verification never stays in the Hub cache (issue 20, item 4).

The issue's scenario: altered bytes served under the right advertised checksum were cached under
the true ETag; after the Hub recovered, every sync kept the model broken (a re-push too), and a
garbage README.md stayed cached. Here the fake Hub (over HTTP, through the real huggingface_hub
client) serves altered bytes under the stored file's ETag a few times, then the right bytes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from inference.network_cache import reset_network_cache
from registry import services
from registry.layout import CARD_FILENAME
from registry.models import RegisteredModel, Status
from registry.stores import get_store
from tests.registry.conftest import REPO_ID, MakeModel, StoreEnv
from tests.registry.test_metadata_integrity import predict, relu_to_tanh

pytestmark = pytest.mark.django_db

TIMES = 3
"""Altered answers in a row: the sync's fetch and its one retry, then `_still_good`'s load."""


def cached_blobs(cache: Path) -> list[bytes]:
    """The content of every blob of the Hub cache."""
    return [path.read_bytes() for path in cache.rglob("blobs/*") if path.is_file()]


def fresh_cache(settings: object, tmp_path: Path) -> Path:
    """A new, empty Hub cache (a server that never downloaded anything)."""
    cache = tmp_path / "fresh-cache"
    settings.HIPPO_HF_CACHE = cache  # type: ignore[attr-defined]
    return cache


@pytest.mark.parametrize("filename", ["tiny-a.json", "tiny-a.safetensors"])
def test_altered_bytes_are_not_cached_and_the_next_sync_fetches_them_again(
    hub_env: StoreEnv,
    make_model: MakeModel,
    client: Client,
    settings: object,
    tmp_path: Path,
    filename: str,
) -> None:
    assert hub_env.hub is not None
    entry = services.push_model(make_model("tiny-a"))
    cache = fresh_cache(settings, tmp_path)
    stored = hub_env.hub.repos[REPO_ID].commits[entry.revision][filename]
    altered = (
        relu_to_tanh(stored)
        if filename.endswith(".json")
        else stored[:-64] + bytes(b ^ 0x55 for b in stored[-64:])
    )
    hub_env.hub.tamper(filename, altered, times=TIMES)

    report = services.sync_models()

    assert report.broken == ["tiny-a"], report.lines()
    assert f"checksum mismatch: {filename}" in report.reasons["tiny-a"]
    assert altered not in cached_blobs(cache)  # never kept, under any name
    assert get_store().cached(filename, entry.revision) is None
    assert hub_env.hub.tampered[filename] == []  # every altered answer was used

    recovered = services.sync_models()  # the Hub serves the right bytes again

    assert recovered.updated == ["tiny-a"], recovered.lines()
    row = RegisteredModel.objects.get(name="tiny-a")
    assert (row.status, row.revision) == (Status.AVAILABLE, entry.revision)
    assert (row.sha256, row.metadata_sha256) == (entry.sha256, entry.metadata_sha256)
    assert stored in cached_blobs(cache)
    reset_network_cache()
    status, body = predict(client, "tiny-a")
    assert status == 200, body


def test_a_repush_after_a_poisoned_download_registers_the_model(
    hub_env: StoreEnv, make_model: MakeModel, settings: object, tmp_path: Path
) -> None:
    """The re-push commits the same metadata bytes (same blob): an altered copy must not win."""
    assert hub_env.hub is not None
    weights = make_model("tiny-a")
    entry = services.push_model(weights)
    fresh_cache(settings, tmp_path)
    stored = hub_env.hub.repos[REPO_ID].commits[entry.revision]["tiny-a.json"]
    hub_env.hub.tamper("tiny-a.json", relu_to_tanh(stored), times=TIMES)
    assert services.sync_models().broken == ["tiny-a"]

    again = services.push_model(weights)

    assert (again.status, again.metadata_sha256) == (Status.AVAILABLE, entry.metadata_sha256)
    assert again.activation == "relu"


def test_a_garbage_model_card_does_not_stay_cached(
    hub_env: StoreEnv, make_model: MakeModel, settings: object, tmp_path: Path
) -> None:
    assert hub_env.hub is not None
    entry = services.push_model(make_model("tiny-a"))
    cache = fresh_cache(settings, tmp_path)
    card = hub_env.hub.repos[REPO_ID].commits[entry.revision][CARD_FILENAME]
    garbage = b"\xff\xfe" * (len(card) // 2) + b"\xff" * (len(card) % 2)
    hub_env.hub.tamper(CARD_FILENAME, garbage, times=1)

    report = services.sync_models()

    # The row was registered at this revision: it keeps its recorded metadata checksum.
    assert report.unchanged == ["tiny-a"], report.lines()
    assert garbage not in cached_blobs(cache)
    assert get_store().cached(CARD_FILENAME, entry.revision) is None
    row = RegisteredModel.objects.get(name="tiny-a")
    assert (row.status, row.metadata_sha256) == (Status.AVAILABLE, entry.metadata_sha256)

    services.sync_models()  # fetched again, and kept this time

    cached = get_store().cached(CARD_FILENAME, entry.revision)
    assert cached is not None
    assert cached.read_bytes() == card
