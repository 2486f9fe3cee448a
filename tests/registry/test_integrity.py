"""Integrity end to end: recorded checksums, separate revisions, the probe, and what is served.

The issue's scenario: 64 bytes overwritten inside the default model's `.safetensors` in the local
store, another model pushed, `sync_models` run. The damaged model must never become "updated"
with the damaged file's checksum, and `/predict` must never answer from it.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import numpy as np
import pytest
from django.test import Client

from inference.network_cache import get_network_cache, reset_network_cache
from inference.resolver import cache_key
from nn_core.model_files import load_model, save_model, sha256_file
from nn_core.network import NeuralNetwork
from registry import services
from registry.errors import InvalidModel
from registry.model_card import card_checksums
from registry.models import RegisteredModel, Status
from registry.stores import LocalStore
from tests.api.helpers import assert_error, post_json
from tests.fixtures.networks import model_metadata
from tests.registry.conftest import MakeModel, StoreEnv

pytestmark = pytest.mark.django_db

HUGE = np.float32(3.0e38).tobytes()
"""A finite float32 near the maximum: loads fine, overflows to infinity in a forward pass."""


def revision_file(env: StoreEnv, revision: str, filename: str) -> Path:
    return env.root / "revisions" / revision / filename


def overwrite_64_bytes(path: Path) -> None:
    """What the issue did: 64 bytes mid-file become other floats (finite: they still load)."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2 // 4 * 4
    data[middle : middle + 64] = HUGE * 16
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    path.write_bytes(bytes(data))


def predict(client: Client, model: str | None = None) -> tuple[int, dict[str, object]]:
    body: dict[str, object] = {"pixels": [0.5] * 784}
    if model is not None:
        body["model"] = model
    response = post_json(client, "/predict", body)
    return response.status_code, json.loads(response.content)


# --- what a commit records ------------------------------------------------------------------------


def test_each_push_records_the_checksums_in_the_store_and_the_card(
    store_env: StoreEnv, make_model: MakeModel
) -> None:
    a = make_model("tiny-a")
    b = make_model("tiny-b", seed=1)
    services.push_model(a)
    entry = services.push_model(b)
    store = store_env.store()
    head = store.snapshot()
    assert head is not None
    assert head.revision == entry.revision
    assert head.files["tiny-a.safetensors"].sha256 == sha256_file(a)
    assert head.files["tiny-b.safetensors"].sha256 == sha256_file(b)
    card = store.fetch("README.md", head.revision).read_text()
    assert card_checksums(card) == {
        "tiny-a.safetensors": sha256_file(a),
        "tiny-b.safetensors": sha256_file(b),
        # The metadata as pushed (issue 20): the one written to the store, not the local file.
        "tiny-a.json": sha256_file(store.fetch("tiny-a.json", head.revision)),
        "tiny-b.json": sha256_file(store.fetch("tiny-b.json", head.revision)),
    }


def test_revisions_never_share_a_file(local_env: StoreEnv, make_model: MakeModel) -> None:
    first = services.push_model(make_model("tiny-a"))
    second = services.push_model(make_model("tiny-b", seed=1))
    old = revision_file(local_env, first.revision, "tiny-a.safetensors")
    new = revision_file(local_env, second.revision, "tiny-a.safetensors")
    assert old.stat().st_ino != new.stat().st_ino
    assert old.stat().st_nlink == new.stat().st_nlink == 1
    assert stat.S_IMODE(new.stat().st_mode) & 0o222 == 0  # read-only
    before = old.read_bytes()

    overwrite_64_bytes(new)  # root ignores the mode: the copy is what protects the old revision

    assert old.read_bytes() == before
    assert sha256_file(old) == first.sha256
    assert sha256_file(new) != first.sha256


# --- the scenario -------------------------------------------------------------------------


def test_a_damaged_default_is_never_updated_nor_served(
    local_env: StoreEnv, make_model: MakeModel, client: Client
) -> None:
    reset_network_cache()
    default = services.push_model(make_model("tiny-a"))
    services.make_default(default)
    assert predict(client)[0] == 200
    good = (default.revision, default.sha256)

    overwrite_64_bytes(revision_file(local_env, default.revision, default.filename))
    services.push_model(make_model("tiny-b", seed=1))
    report = services.sync_models()

    assert "tiny-a" not in report.updated
    assert report.broken == ["tiny-a"]
    assert "checksum mismatch" in report.reasons["tiny-a"]
    row = RegisteredModel.objects.get(name="tiny-a")
    assert (row.revision, row.sha256) == good  # the last good record is kept
    assert row.status == Status.BROKEN
    assert row.is_default
    reset_network_cache()  # a fresh worker: nothing loaded yet
    status, body = predict(client)
    assert status == 409, body
    assert "checksum mismatch" in json.dumps(body)
    assert predict(client, "tiny-b")[0] == 200
    assert RegisteredModel.objects.get(name="tiny-b").status == Status.AVAILABLE


def test_a_worker_that_loaded_the_damaged_default_stops_serving_it(
    local_env: StoreEnv, make_model: MakeModel, client: Client
) -> None:
    reset_network_cache()
    default = services.push_model(make_model("tiny-a"))
    services.make_default(default)
    assert predict(client)[0] == 200  # loaded in this process's cache

    overwrite_64_bytes(revision_file(local_env, default.revision, default.filename))
    services.push_model(make_model("tiny-b", seed=1))
    services.sync_models()

    status, body = predict(client)
    assert status == 409, body  # never the damaged network, and never a 500


def test_damage_in_a_new_revision_only_keeps_the_last_good_one_served(
    local_env: StoreEnv, make_model: MakeModel, client: Client
) -> None:
    reset_network_cache()
    default = services.push_model(make_model("tiny-a"))
    services.make_default(default)
    second = services.push_model(make_model("tiny-b", seed=1))
    overwrite_64_bytes(revision_file(local_env, second.revision, default.filename))

    report = services.sync_models()

    assert "tiny-a" in report.kept
    assert "still serving revision" in report.kept["tiny-a"]
    row = RegisteredModel.objects.get(name="tiny-a")
    assert (row.revision, row.sha256, row.status) == (
        default.revision,
        default.sha256,
        Status.AVAILABLE,
    )
    reset_network_cache()
    status, body = predict(client)
    assert (status, body["model"]) == (200, "tiny-a")
    assert any("kept last good revision: tiny-a" in line for line in report.lines())


# --- the probe forward pass -----------------------------------------------------------------------


def overflowing_network() -> NeuralNetwork:
    """Finite weights whose forward pass overflows to infinity/NaN for any bright input."""
    network = NeuralNetwork([784, 16, 10], seed=3)
    network.weights[0][:, :] = 3.0e38
    return network


def test_push_refuses_a_model_with_non_finite_outputs(local_env: StoreEnv, tmp_path: Path) -> None:
    network = overflowing_network()
    weights = tmp_path / "overflow.safetensors"
    save_model(network, weights, model_metadata(network, "overflow", 90.0))
    load_model(weights, weights.with_suffix(".json"))  # structurally valid

    with pytest.raises(InvalidModel, match=r"probe forward pass.*non-finite"):
        services.push_model(weights)
    assert LocalStore(local_env.root).head() is None


def test_sync_marks_a_model_with_non_finite_outputs_broken(
    local_env: StoreEnv, tmp_path: Path, client: Client
) -> None:
    network = overflowing_network()
    weights = tmp_path / "overflow.safetensors"
    save_model(network, weights, model_metadata(network, "overflow", 90.0))
    # Committed around push_model's checks (as another tool could): its checksum is recorded.
    LocalStore(local_env.root).commit(
        {"overflow.safetensors": weights, "overflow.json": weights.with_suffix(".json")},
        "add a model that overflows",
    )

    report = services.sync_models()

    assert report.broken == ["overflow"]
    assert "probe forward pass" in report.reasons["overflow"]
    status, body = predict(client, "overflow")
    assert status == 409, body


# --- non-finite outputs at serving time -----------------------------------------------------------


def test_a_non_finite_output_is_a_model_error_not_a_500(
    local_env: StoreEnv, make_model: MakeModel, client: Client
) -> None:
    """A loaded network that computes NaN for a request answers 409 `model_output_invalid`."""
    reset_network_cache()
    entry = services.push_model(make_model("tiny-a"))
    network = NeuralNetwork([784, 16, 10], seed=0)
    network.biases[1][:] = np.nan  # as if memory were damaged after loading
    get_network_cache().get_or_load(cache_key(entry), lambda: network)

    for path, body in (
        ("/predict", {"pixels": [0.5] * 784, "model": "tiny-a"}),
        ("/predict", {"batch": [[0.5] * 784] * 3, "model": "tiny-a"}),
        ("/activations", {"pixels": [0.5] * 784, "model": "tiny-a"}),
    ):
        error = assert_error(post_json(client, path, body), 409, "model_output_invalid")
        assert "tiny-a" in error["message"]
        assert "non-finite" in error["message"]
    reset_network_cache()
