"""Every file of a model is verified: the metadata's SHA-256 is recorded and checked (issue 20, 3).

The issue's scenario: `"relu"` changed to `"tanh"` in the store's `revisions/<rev>/<name>.json`
changed the answers (3 at 99.98 % became 8 at 93 %) while the model stayed `available` and
`sync_models` noticed nothing; on the Hub no checksum of the `.json` was recorded at all.
"""

from __future__ import annotations

import hashlib
import json
import logging
import stat
from pathlib import Path

import pytest
from django.test import Client

from inference.network_cache import reset_network_cache
from registry import services
from registry.layout import CARD_FILENAME
from registry.model_card import CardEntry, card_checksums, render_model_card
from registry.models import RegisteredModel, Status
from tests.api.helpers import post_json
from tests.registry.conftest import REPO_ID, MakeModel, StoreEnv

pytestmark = pytest.mark.django_db


def relu_to_tanh(data: bytes) -> bytes:
    """What the issue did: the hidden activation changed, the file still valid JSON."""
    assert b'"relu"' in data
    return data.replace(b'"relu"', b'"tanh"')


def tamper_local(env: StoreEnv, revision: str, filename: str) -> None:
    path = env.root / "revisions" / revision / filename
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    path.write_bytes(relu_to_tanh(path.read_bytes()))


def predict(client: Client, model: str | None = None) -> tuple[int, dict[str, object]]:
    body: dict[str, object] = {"pixels": [0.5] * 784}
    if model is not None:
        body["model"] = model
    response = post_json(client, "/predict", body)
    return response.status_code, json.loads(response.content)


def test_push_records_the_metadata_checksum_in_the_store_the_card_and_the_row(
    store_env: StoreEnv, make_model: MakeModel
) -> None:
    entry = services.push_model(make_model("tiny-a"))
    store = store_env.store()
    stored = store.fetch("tiny-a.json", entry.revision).read_bytes()
    expected = hashlib.sha256(stored).hexdigest()

    assert entry.metadata_sha256 == expected
    card = store.fetch(CARD_FILENAME, entry.revision).read_text()
    assert card_checksums(card)["tiny-a.json"] == expected
    if store_env.kind == "local":  # the manifest records it too
        manifest = json.loads(
            (store_env.root / "revisions" / entry.revision / ".manifest.json").read_text()
        )
        assert manifest["tiny-a.json"]["sha256"] == expected


def test_changed_metadata_in_the_store_is_never_served(
    local_env: StoreEnv, make_model: MakeModel, client: Client
) -> None:
    reset_network_cache()
    entry = services.push_model(make_model("tiny-a"))
    services.make_default(entry)
    assert predict(client)[0] == 200

    tamper_local(local_env, entry.revision, "tiny-a.json")
    reset_network_cache()  # a reload: a fresh worker
    status, body = predict(client)

    assert status == 409, body
    assert "checksum mismatch: tiny-a.json" in json.dumps(body)
    row = RegisteredModel.objects.get(name="tiny-a")
    assert row.status == Status.BROKEN
    assert "tiny-a.json" in row.status_reason


def test_sync_notices_changed_metadata_at_a_pinned_revision_and_a_loaded_worker_stops(
    local_env: StoreEnv, make_model: MakeModel, client: Client
) -> None:
    reset_network_cache()
    entry = services.push_model(make_model("tiny-a"))
    services.make_default(entry)
    status, before = predict(client)
    assert status == 200  # loaded in this process
    head = services.push_model(make_model("tiny-b", seed=1)).revision
    assert head != entry.revision  # tiny-a stays pinned to its own revision

    tamper_local(local_env, entry.revision, "tiny-a.json")
    report = services.sync_models()

    assert report.broken == ["tiny-a"], report.lines()
    assert "checksum mismatch: tiny-a.json" in report.reasons["tiny-a"]
    status, body = predict(client)
    assert status == 409, body  # the loaded network is not served either

    # The head holds an intact copy (revisions never share a file): the next sync repairs.
    repaired = services.sync_models()
    assert repaired.updated == ["tiny-a"], repaired.lines()
    row = RegisteredModel.objects.get(name="tiny-a")
    assert (row.status, row.revision) == (Status.AVAILABLE, head)
    reset_network_cache()
    status, after = predict(client)
    assert status == 200
    assert after["probabilities"] == before["probabilities"]


def test_metadata_changed_on_the_hub_is_refused_by_sync(
    hub_env: StoreEnv, make_model: MakeModel, settings: object, tmp_path: Path
) -> None:
    assert hub_env.hub is not None
    entry = services.push_model(make_model("tiny-a"))
    repo = hub_env.hub.repos[REPO_ID]
    files = dict(repo.commits[repo.head])
    files["tiny-a.json"] = relu_to_tanh(files["tiny-a.json"])
    hub_env.hub.new_commit(repo, files)  # another tool rewrote the metadata only
    settings.HIPPO_HF_CACHE = tmp_path / "fresh-cache"  # type: ignore[attr-defined]

    report = services.sync_models()

    assert "tiny-a" in report.kept, report.lines()
    assert "checksum mismatch: tiny-a.json" in report.kept["tiny-a"]
    row = RegisteredModel.objects.get(name="tiny-a")
    assert (row.revision, row.metadata_sha256) == (entry.revision, entry.metadata_sha256)
    assert row.activation == "relu"
    assert row.status == Status.AVAILABLE  # its own revision still verifies


def test_a_model_pushed_without_a_metadata_checksum_keeps_working(
    hub_env: StoreEnv,
    make_model: MakeModel,
    client: Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert hub_env.hub is not None
    reset_network_cache()
    pushed = services.push_model(make_model("tiny-a"))
    repo = hub_env.hub.repos[REPO_ID]
    files = dict(repo.commits[repo.head])
    # The card of an older Hippo: the weights' checksum only.
    legacy = CardEntry("tiny-a", [784, 16, 10], "relu", "softmax", sha256=pushed.sha256)
    files[CARD_FILENAME] = render_model_card(REPO_ID, [legacy]).encode()
    hub_env.hub.new_commit(repo, files)
    # A row from before metadata checksums existed (with one, bytes it verified before would
    # stay verified: test_an_unreadable_card_keeps_verified_bytes_verified).
    RegisteredModel.objects.filter(name="tiny-a").update(metadata_sha256="")

    report = services.sync_models()

    assert report.unchanged == ["tiny-a"], report.lines()
    assert any("metadata not verified" in note and "tiny-a" in note for note in report.notes)
    row = RegisteredModel.objects.get(name="tiny-a")
    assert (row.status, row.metadata_sha256) == (Status.AVAILABLE, "")
    with caplog.at_level(logging.WARNING, logger="registry.integrity"):
        for _ in range(2):
            reset_network_cache()
            status, body = predict(client, "tiny-a")
            assert status == 200, body
    warnings = [r.getMessage() for r in caplog.records if "no recorded SHA-256" in r.getMessage()]
    # Logged once per process and revision (the sync may have logged the new head's already).
    assert len(warnings) == len(set(warnings)) <= 2, warnings


def test_an_unreadable_card_keeps_verified_bytes_verified(
    hub_env: StoreEnv, make_model: MakeModel
) -> None:
    # A later commit whose card records no metadata checksum (an older Hippo's card, or someone
    # else's) must not turn a verified model into an unverified one while its metadata is the
    # very bytes verified before; changed bytes would get no such pass.
    assert hub_env.hub is not None
    pushed = services.push_model(make_model("tiny-a"))
    verified = RegisteredModel.objects.get(name="tiny-a").metadata_sha256
    assert verified
    repo = hub_env.hub.repos[REPO_ID]
    files = dict(repo.commits[repo.head])
    legacy = CardEntry("tiny-a", [784, 16, 10], "relu", "softmax", sha256=pushed.sha256)
    files[CARD_FILENAME] = render_model_card(REPO_ID, [legacy]).encode()
    hub_env.hub.new_commit(repo, files)

    report = services.sync_models()

    assert not any("metadata not verified" in note for note in report.notes), report.lines()
    row = RegisteredModel.objects.get(name="tiny-a")
    assert (row.status, row.metadata_sha256) == (Status.AVAILABLE, verified)
