"""Registry semantics: one default, DEFAULT_MODEL, broken and vanished models, failures."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.db import IntegrityError, transaction
from huggingface_hub import try_to_load_from_cache

from registry import services
from registry.errors import (
    InvalidModel,
    ModelBroken,
    ModelNotFound,
    ModelUnavailable,
    NoDefaultModel,
    StoreError,
    StoreUnreachable,
    TokenMissing,
    TokenRejected,
)
from registry.models import RegisteredModel, Status
from tests.registry.conftest import REPO_ID, MakeModel, StoreEnv, free_port_url

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

pytestmark = pytest.mark.django_db


def registry_state() -> list[Any]:
    return list(RegisteredModel.objects.order_by("name").values())


def make_row(name: str, **fields: Any) -> RegisteredModel:
    values: dict[str, Any] = {
        "store": "local",
        "repo": "/nowhere",
        "revision": "0" * 40,
        "filename": f"{name}.safetensors",
        "metadata_filename": f"{name}.json",
        "sizes": [784, 10],
        "activation": "relu",
        "output": "softmax",
        "cost": "cross_entropy",
        **fields,
    }
    return RegisteredModel.objects.create(name=name, **values)


# --- the database constraint and resolution --------------------------------------------------


def test_database_allows_one_default_only() -> None:
    make_row("a", is_default=True)
    make_row("b")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_row("c", is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        RegisteredModel.objects.filter(name="b").update(is_default=True)
    assert RegisteredModel.objects.filter(is_default=True).count() == 1


def test_resolve_model_errors() -> None:
    with pytest.raises(NoDefaultModel):
        services.resolve_model(None)
    with pytest.raises(ModelNotFound):
        services.resolve_model("ghost")
    make_row("off", enabled=False)
    make_row("gone", status=Status.UNAVAILABLE)
    make_row("bad", status=Status.BROKEN, status_reason="checksum mismatch")
    with pytest.raises(ModelUnavailable, match="disabled"):
        services.resolve_model("off")
    with pytest.raises(ModelUnavailable):
        services.resolve_model("gone")
    with pytest.raises(ModelBroken, match="checksum mismatch"):
        services.resolve_model("bad")


def test_list_enabled_models_is_ordered_by_name() -> None:
    make_row("b")
    make_row("a")
    make_row("c", enabled=False)
    assert [entry.name for entry in services.list_enabled_models()] == ["a", "b"]


def test_properties() -> None:
    entry = make_row("a", sizes=[784, 100, 10], store="hub", repo="me/models")
    assert entry.architecture == "784-100-10"
    assert entry.hub_url.endswith("/me/models")
    assert make_row("b").hub_url == ""


# --- the default -------------------------------------------------------------------------------


def test_default_model_setting_names_the_initial_default(
    store_env: StoreEnv, make_model: MakeModel, settings: SettingsWrapper
) -> None:
    settings.DEFAULT_MODEL = "tiny-b"
    services.push_model(make_model("tiny-a", accuracy=99.0))
    assert not RegisteredModel.objects.filter(is_default=True).exists()  # waits for tiny-b
    services.push_model(make_model("tiny-b", seed=1, accuracy=90.0))
    assert services.get_default_model().name == "tiny-b"

    # Once chosen in the admin, the admin's choice wins over DEFAULT_MODEL.
    services.make_default(RegisteredModel.objects.get(name="tiny-a"))
    services.sync_models()
    assert services.get_default_model().name == "tiny-a"
    assert RegisteredModel.objects.filter(is_default=True).count() == 1


def test_most_accurate_model_is_the_default_when_nothing_is_configured(
    local_env: StoreEnv, make_model: MakeModel
) -> None:
    services.push_model(make_model("tiny-a", accuracy=92.0))
    services.push_model(make_model("tiny-b", seed=1, accuracy=97.0))
    RegisteredModel.objects.update(is_default=False)

    report = services.sync_models()

    assert report.default == "tiny-b"
    assert report.default_changed


def test_make_default_refuses_broken_and_disabled_models(
    local_env: StoreEnv, make_model: MakeModel
) -> None:
    first = services.push_model(make_model("tiny-a"))
    second = services.push_model(make_model("tiny-b", seed=1))
    assert first.is_default

    RegisteredModel.objects.filter(pk=second.pk).update(enabled=False)
    with pytest.raises(ModelUnavailable):
        services.make_default(second)
    RegisteredModel.objects.filter(pk=second.pk).update(enabled=True, status=Status.BROKEN)
    with pytest.raises(ModelBroken):
        services.make_default(second)
    assert services.get_default_model().name == "tiny-a"

    RegisteredModel.objects.filter(pk=second.pk).update(status=Status.AVAILABLE)
    services.make_default(second)
    assert services.get_default_model().name == "tiny-b"
    assert RegisteredModel.objects.filter(is_default=True).count() == 1


# --- broken models -----------------------------------------------------------------------------


def corrupt_in_store(env: StoreEnv, entry: RegisteredModel) -> None:
    """Change the stored bytes of `entry`'s weights at its revision (storage corruption)."""
    if env.hub is not None:
        env.hub.corrupt(REPO_ID, entry.filename, entry.revision)
        env.store().discard(entry.filename, entry.revision)  # the push had cached a good copy
    else:
        path = env.root / "revisions" / entry.revision / entry.filename
        data = bytearray(path.read_bytes())
        data[-8:] = b"\xff" * 8
        path.unlink()  # a hard link may be shared with another revision
        path.write_bytes(bytes(data))


def test_corrupt_file_is_flagged_broken_and_the_default_stays(
    store_env: StoreEnv, make_model: MakeModel
) -> None:
    default = services.push_model(make_model("tiny-a"))
    other = services.push_model(make_model("tiny-b", seed=1))
    corrupt_in_store(store_env, other)

    with pytest.raises(ModelBroken, match="checksum mismatch"):
        services.load_network(other, wait=True)

    other.refresh_from_db()
    assert other.status == Status.BROKEN
    assert "checksum mismatch" in other.status_reason
    assert services.get_default_model().pk == default.pk
    with pytest.raises(ModelBroken):
        services.make_default(other)
    with pytest.raises(ModelBroken):
        services.resolve_model("tiny-b")
    if store_env.hub is not None:  # the corrupt download was discarded from the cache
        cached = try_to_load_from_cache(
            REPO_ID, other.filename, cache_dir=store_env.root, revision=other.revision
        )
        assert cached is None
    # A sync at the same revision keeps it broken (the bytes still differ from the record).
    report = services.sync_models()
    assert "tiny-b" not in report.updated
    assert RegisteredModel.objects.get(name="tiny-b").status == Status.BROKEN


def test_sync_checks_downloads_against_the_hub_checksum(
    hub_env: StoreEnv, make_model: MakeModel
) -> None:
    entry = services.push_model(make_model("tiny-a"))
    assert hub_env.hub is not None
    hub_env.hub.corrupt(REPO_ID, entry.filename)
    hub_env.store().discard(entry.filename, entry.revision)
    RegisteredModel.objects.all().delete()  # a fresh registry meets the corrupt file

    report = services.sync_models()

    assert report.broken == ["tiny-a"]
    broken = RegisteredModel.objects.get(name="tiny-a")
    assert "recorded when it was pushed" in broken.status_reason
    assert broken.sha256 == entry.sha256  # the store's checksum is kept as the reference
    assert report.default is None  # a broken model never becomes the default
    cached = try_to_load_from_cache(
        REPO_ID, entry.filename, cache_dir=hub_env.root, revision=entry.revision
    )
    assert cached is None


def test_corrupt_cache_is_discarded_and_sync_repairs(
    hub_env: StoreEnv, make_model: MakeModel
) -> None:
    entry = services.push_model(make_model("tiny-a"))
    cached = try_to_load_from_cache(
        REPO_ID, entry.filename, cache_dir=hub_env.root, revision=entry.revision
    )
    assert isinstance(cached, str)
    blob = Path(cached).resolve()
    blob.write_bytes(blob.read_bytes()[:-10])  # truncated on disk

    with pytest.raises(ModelBroken):
        services.load_network(entry)
    assert not blob.exists()

    report = services.sync_models()  # downloads again: the store's bytes are fine
    assert report.updated == ["tiny-a"]
    repaired = RegisteredModel.objects.get(name="tiny-a")
    assert repaired.status == Status.AVAILABLE
    assert repaired.status_reason == ""
    assert services.load_network(repaired).sizes == [784, 16, 10]


def test_invalid_metadata_in_the_store_is_registered_broken(
    local_env: StoreEnv, make_model: MakeModel
) -> None:
    weights = make_model("tiny-a")
    store = local_env.store()
    store.commit(
        {"tiny-a.safetensors": weights, "tiny-a.json": b'{"format_version": 99}'}, "bad metadata"
    )

    report = services.sync_models()

    assert report.added == ["tiny-a"]
    assert report.broken == ["tiny-a"]
    entry = RegisteredModel.objects.get(name="tiny-a")
    assert entry.status == Status.BROKEN
    assert "format_version" in entry.status_reason
    assert report.default is None


# --- vanished models ---------------------------------------------------------------------------


def test_vanished_models_are_marked_unavailable_never_deleted(
    store_env: StoreEnv, make_model: MakeModel, settings: SettingsWrapper, tmp_path: Path
) -> None:
    services.push_model(make_model("tiny-a"))
    services.push_model(make_model("tiny-b", seed=1))
    if store_env.hub is not None:
        repo = store_env.hub.repos[REPO_ID]
        files = {k: v for k, v in repo.commits[repo.head].items() if not k.startswith("tiny-a")}
        store_env.hub.new_commit(repo, files)
    else:
        settings.HIPPO_LOCAL_HUB = tmp_path / "other_store"
        services.push_model(make_model("tiny-b", seed=1))

    report = services.sync_models()

    assert report.unavailable == ["tiny-a"]
    gone = RegisteredModel.objects.get(name="tiny-a")
    assert gone.status == Status.UNAVAILABLE
    assert gone.is_default
    with pytest.raises(ModelUnavailable):
        services.resolve_model(None)
    assert not services.sync_models().changed


# --- failures leave the registry unchanged -----------------------------------------------------


def test_sync_with_the_hub_down_changes_nothing(
    hub_env: StoreEnv, make_model: MakeModel, settings: SettingsWrapper
) -> None:
    services.push_model(make_model("tiny-a"))
    before = registry_state()
    settings.HF_ENDPOINT = free_port_url()

    with pytest.raises(StoreUnreachable):
        services.sync_models()

    assert registry_state() == before


def test_sync_with_a_rejected_token_changes_nothing(
    hub_env: StoreEnv, make_model: MakeModel
) -> None:
    services.push_model(make_model("tiny-a"))
    before = registry_state()
    assert hub_env.hub is not None
    hub_env.hub.tokens.clear()

    with pytest.raises(TokenRejected):
        services.sync_models()

    assert registry_state() == before


def test_sync_of_a_missing_hub_repository_is_an_error(hub_env: StoreEnv) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        services.sync_models()


def test_invalid_model_is_never_pushed(store_env: StoreEnv, make_model: MakeModel) -> None:
    weights = make_model("tiny-a")
    weights.write_bytes(weights.read_bytes()[:-100])  # truncated

    with pytest.raises(InvalidModel, match="cannot be pushed"):
        services.push_model(weights)

    assert RegisteredModel.objects.count() == 0
    if store_env.hub is not None:
        assert store_env.hub.requests == []  # nothing was sent at all
    assert store_env.store().snapshot() is None


def test_push_with_inconsistent_metadata_is_refused(
    local_env: StoreEnv, make_model: MakeModel
) -> None:
    weights = make_model("tiny-a")
    metadata = weights.with_suffix(".json")
    metadata.write_text(metadata.read_text().replace("784", "785", 1))
    with pytest.raises(InvalidModel):
        services.push_model(weights)
    with pytest.raises(InvalidModel, match=r"0\.\.100"):
        services.push_model(make_model("tiny-b"), accuracy=101.0)
    assert local_env.store().snapshot() is None


@pytest.mark.parametrize("failure", ["no token", "rejected token", "hub down"])
def test_failed_push_leaves_store_and_registry_untouched(
    hub_env: StoreEnv,
    make_model: MakeModel,
    monkeypatch: pytest.MonkeyPatch,
    settings: SettingsWrapper,
    failure: str,
) -> None:
    services.push_model(make_model("tiny-a"))
    before = registry_state()
    assert hub_env.hub is not None
    head = hub_env.hub.repos[REPO_ID].head
    expected: type[StoreError]
    if failure == "no token":
        monkeypatch.delenv("HF_TOKEN")
        settings.HF_ENDPOINT = free_port_url()  # the token is checked before any request
        expected = TokenMissing
    elif failure == "rejected token":
        hub_env.hub.tokens.clear()
        expected = TokenRejected
    else:
        settings.HF_ENDPOINT = free_port_url()
        expected = StoreUnreachable

    with pytest.raises(expected):
        services.push_model(make_model("tiny-b", seed=1))

    assert registry_state() == before
    assert hub_env.hub.repos[REPO_ID].head == head
