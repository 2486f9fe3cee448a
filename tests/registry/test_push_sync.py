"""push -> sync -> load round trips, on the local store and on the Hub (test double)."""

from __future__ import annotations

import numpy as np
import pytest
from huggingface_hub import ModelCard, metadata_load

from nn_core.model_files import load_model
from registry import services
from registry.models import RegisteredModel, Status
from tests.registry.conftest import PNG, MakeModel, StoreEnv

pytestmark = pytest.mark.django_db


def test_push_registers_what_was_stored(store_env: StoreEnv, make_model: MakeModel) -> None:
    weights = make_model("tiny-a", png=True)
    entry = services.push_model(weights, description="first")

    assert entry.name == "tiny-a"
    assert entry.store == store_env.kind
    assert len(entry.revision) == 40
    assert entry.filename == "tiny-a.safetensors"
    assert entry.metadata_filename == "tiny-a.json"
    assert entry.image_filename == "tiny-a.png"
    assert entry.sizes == [784, 16, 10]
    assert entry.architecture == "784-16-10"
    assert entry.test_accuracy == pytest.approx(91.0)
    assert entry.metrics["confusion_matrix"][0][0] == 90
    assert entry.training["history"][0]["epoch"] == 1
    assert entry.size_bytes == weights.stat().st_size
    assert len(entry.sha256) == 64
    assert entry.description == "first"
    assert entry.status == Status.AVAILABLE
    assert entry.is_default  # the first model becomes the default

    snapshot = store_env.store().snapshot()
    assert snapshot is not None
    assert snapshot.revision == entry.revision
    assert {"tiny-a.safetensors", "tiny-a.json", "tiny-a.png", "README.md"} <= set(snapshot.files)
    assert services.model_image_bytes(entry) == PNG
    if store_env.hub is not None:
        assert store_env.hub.commits_of("hippo-test/mnist-models") == 1  # one atomic commit


def test_push_sync_load_round_trip(store_env: StoreEnv, make_model: MakeModel) -> None:
    weights = make_model("tiny-a", seed=3)
    pushed = services.push_model(weights)
    RegisteredModel.objects.all().delete()  # a fresh registry, e.g. another deployment

    report = services.sync_models()

    assert report.added == ["tiny-a"]
    assert report.default == "tiny-a"
    assert report.default_changed
    entry = RegisteredModel.objects.get(name="tiny-a")
    assert entry.revision == pushed.revision
    assert entry.sha256 == pushed.sha256
    network = services.load_network(entry)
    expected = load_model(weights).network
    for got, want in zip(network.weights, expected.weights, strict=True):
        np.testing.assert_array_equal(got, want)


def test_sync_is_idempotent(store_env: StoreEnv, make_model: MakeModel) -> None:
    services.push_model(make_model("tiny-a"))
    services.push_model(make_model("tiny-b", seed=1, accuracy=95.0))
    RegisteredModel.objects.filter(name="tiny-b").delete()

    first = services.sync_models()
    second = services.sync_models()

    assert first.added == ["tiny-b"]
    assert first.changed
    assert not second.changed
    assert sorted(second.unchanged) == ["tiny-a", "tiny-b"]
    assert "No changes" in second.lines()[-1]


def test_revisions_are_pinned(store_env: StoreEnv, make_model: MakeModel) -> None:
    v1 = services.push_model(make_model("tiny-a", seed=1))
    old = RegisteredModel.objects.get(pk=v1.pk)
    v2 = services.push_model(make_model("tiny-a", seed=2, accuracy=93.0))

    assert v2.revision != old.revision
    assert v2.sha256 != old.sha256
    old_network = services.load_network(old)  # the old row still reads the old revision
    new_network = services.load_network(v2)
    assert not np.array_equal(old_network.weights[0], new_network.weights[0])
    assert RegisteredModel.objects.get(name="tiny-a").test_accuracy == pytest.approx(93.0)


def test_sync_updates_changed_models(store_env: StoreEnv, make_model: MakeModel) -> None:
    services.push_model(make_model("tiny-a", seed=1))
    stale = RegisteredModel.objects.get(name="tiny-a")
    services.push_model(make_model("tiny-a", seed=2, accuracy=97.0))
    RegisteredModel.objects.filter(pk=stale.pk).update(
        revision=stale.revision, sha256=stale.sha256, test_accuracy=stale.test_accuracy
    )

    report = services.sync_models()

    assert report.updated == ["tiny-a"]
    entry = RegisteredModel.objects.get(name="tiny-a")
    assert entry.test_accuracy == pytest.approx(97.0)
    assert entry.revision != stale.revision


def test_model_card_lists_every_model(store_env: StoreEnv, make_model: MakeModel) -> None:
    services.push_model(make_model("tiny-a", accuracy=91.5), description="The first one.")
    last = services.push_model(make_model("tiny-b", seed=1, accuracy=96.25, png=True))

    readme = store_env.store().fetch("README.md", last.revision)
    card = ModelCard.load(readme)
    # The raw front matter: ModelCardData models one model, the repository lists several.
    data = metadata_load(readme)
    assert data is not None
    assert data["library_name"] == "hippo"
    assert "mnist" in data["tags"]
    index = {item["name"]: item for item in data["model-index"]}
    assert set(index) == {"tiny-a", "tiny-b"}
    metric = index["tiny-b"]["results"][0]["metrics"][0]
    assert metric["type"] == "accuracy"
    assert metric["value"] == pytest.approx(96.25)
    assert "| `tiny-a` | 784-16-10 |" in card.text
    assert "The first one." in card.text
    assert "![Training curves of tiny-b](tiny-b.png)" in card.text


def test_push_name_accuracy_description_flags(store_env: StoreEnv, make_model: MakeModel) -> None:
    entry = services.push_model(
        make_model("raw-file-name"), name="My Net", accuracy=98.1, description="Hello."
    )

    assert entry.name == "my-net"
    assert entry.display_name == "My Net"
    assert entry.test_accuracy == pytest.approx(98.1)
    assert entry.filename == "my-net.safetensors"
    stored = store_env.store().fetch("my-net.json", entry.revision).read_text(encoding="utf-8")
    assert '"name": "my-net"' in stored
    assert '"description": "Hello."' in stored


def test_push_without_curves_drops_the_old_ones(store_env: StoreEnv, make_model: MakeModel) -> None:
    v1 = services.push_model(make_model("tiny-a", png=True))
    weights = make_model("tiny-a", seed=2)
    weights.with_suffix(".png").unlink()  # no PNG beside the new weights
    v2 = services.push_model(weights)

    assert v1.image_filename == "tiny-a.png"
    assert v2.image_filename == ""
    store = store_env.store()
    head = store.snapshot()
    assert head is not None
    assert "tiny-a.png" not in head.files
    assert store.fetch("tiny-a.png", v1.revision).read_bytes() == PNG  # history keeps it
    assert services.model_image_bytes(v2) is None


def test_a_cnn_is_stored_synced_and_carded_with_its_architecture(
    store_env: StoreEnv, make_model: MakeModel
) -> None:
    weights = make_model("cnn-a", accuracy=99.1, layers="conv3x3x4,pool2,dense10")
    entry = services.push_model(weights)
    assert entry.architecture == "1x28x28-conv3x3x4-pool2-dense10"
    assert entry.input_shape == [1, 28, 28]
    assert [spec["type"] for spec in entry.layers] == [
        "conv2d", "activation", "maxpool2d", "flatten", "dense",
    ]  # fmt: skip
    assert entry.sizes == [784, 4 * 26 * 26, 10]
    RegisteredModel.objects.all().delete()
    services.sync_models()
    synced = RegisteredModel.objects.get(name="cnn-a")
    assert synced.layers == entry.layers
    network = services.load_network(synced)
    original = load_model(weights).network
    x = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    np.testing.assert_array_equal(network.feedforward(x), original.feedforward(x))
    readme = store_env.store().fetch("README.md", synced.revision)
    assert "| `cnn-a` | 1x28x28-conv3x3x4-pool2-dense10 |" in ModelCard.load(readme).text
    data = metadata_load(readme)
    assert data is not None
    assert [item["name"] for item in data["model-index"]] == ["cnn-a"]
