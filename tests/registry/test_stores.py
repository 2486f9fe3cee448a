"""The two stores directly: revisions, atomic commits, and the Hub's failure modes."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.errors import StoreError, StoreUnreachable, TokenMissing, TokenRejected
from registry.stores import HubStore, LocalStore, get_store
from tests.fixtures.hub_server import HubDouble
from tests.registry.conftest import REPO_ID, TOKEN, StoreEnv, free_port_url


def hub_store(hub: HubDouble, tmp_path: Path, token: str | None = TOKEN) -> HubStore:
    return HubStore(REPO_ID, token=token, endpoint=hub.url, cache_dir=tmp_path / "cache")


def test_get_store_follows_the_settings(store_env: StoreEnv) -> None:
    store = get_store()
    assert store.kind == store_env.kind
    expected = HubStore if store_env.kind == "hub" else LocalStore
    assert isinstance(store, expected)


def test_commits_create_revisions_readable_later(store_env: StoreEnv) -> None:
    store = store_env.store()
    assert store.snapshot() is None  # nothing yet

    first = store.commit({"a.txt": b"one", "b.txt": b"bee"}, "first")
    second = store.commit({"a.txt": b"two"}, "second", parent=first)

    assert first != second
    assert len(second) == 40
    head = store.snapshot()
    assert head is not None
    assert head.revision == second
    assert {"a.txt", "b.txt"} <= set(head.files)
    assert head.files["a.txt"].size == 3
    assert store.fetch("a.txt", first).read_bytes() == b"one"
    assert store.fetch("a.txt", second).read_bytes() == b"two"
    assert store.fetch("b.txt", second).read_bytes() == b"bee"  # unchanged files carry over
    old = store.snapshot(first)
    assert old is not None
    assert old.revision == first


def test_commit_can_delete_files(store_env: StoreEnv) -> None:
    store = store_env.store()
    first = store.commit({"a.txt": b"one", "b.txt": b"bee"}, "first")
    second = store.commit({"b.txt": None, "c.txt": None}, "delete", parent=first)

    head = store.snapshot()
    assert head is not None
    assert head.revision == second
    assert "b.txt" not in head.files
    assert "a.txt" in head.files
    assert store.fetch("b.txt", first).read_bytes() == b"bee"


def test_commit_on_a_moved_head_is_refused(store_env: StoreEnv) -> None:
    store = store_env.store()
    first = store.commit({"a.txt": b"one"}, "first")
    store.commit({"a.txt": b"two"}, "second", parent=first)

    with pytest.raises(StoreError):
        store.commit({"a.txt": b"three"}, "stale", parent=first)

    head = store.snapshot()
    assert head is not None
    assert store.fetch("a.txt", head.revision).read_bytes() == b"two"


def test_missing_file_or_revision(store_env: StoreEnv) -> None:
    store = store_env.store()
    revision = store.commit({"a.txt": b"one"}, "first")
    with pytest.raises(StoreError):
        store.fetch("nope.txt", revision)
    with pytest.raises(StoreError):
        store.fetch("a.txt", "0" * 40)


def test_local_commit_leaves_no_partial_revision(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    first = store.commit({"a.txt": b"one"}, "first")

    with pytest.raises(FileNotFoundError):
        store.commit({"b.txt": b"bee", "c.txt": tmp_path / "missing-file"}, "broken", parent=first)

    assert store.head() == first
    revisions = [p.name for p in (tmp_path / "store" / "revisions").iterdir()]
    assert revisions == [first]  # the staging folder is gone


def test_local_store_refuses_escaping_paths(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    with pytest.raises(StoreError):
        store.commit({"../evil.txt": b"x"}, "escape")


def test_hub_download_is_cached_per_revision(hub_server: HubDouble, tmp_path: Path) -> None:
    hub_server.tokens.add(TOKEN)
    store = hub_store(hub_server, tmp_path)
    revision = store.commit({"a.txt": b"one"}, "first")

    path = store.fetch("a.txt", revision)
    requests = len(hub_server.requests)
    again = store.fetch("a.txt", revision)

    assert again == path
    assert path.read_bytes() == b"one"
    assert len(hub_server.requests) == requests  # pinned revision in the cache: no request
    store.discard("a.txt", revision)
    assert not path.exists()
    assert store.fetch("a.txt", revision).read_bytes() == b"one"  # downloaded again


def test_hub_push_without_token_is_refused(hub_server: HubDouble, tmp_path: Path) -> None:
    store = hub_store(hub_server, tmp_path, token=None)
    with pytest.raises(TokenMissing, match="HF_TOKEN"):
        store.commit({"a.txt": b"one"}, "first")
    assert hub_server.repos == {}


def test_hub_rejected_token_is_reported_without_the_token(
    hub_server: HubDouble, tmp_path: Path
) -> None:
    store = hub_store(hub_server, tmp_path, token=TOKEN)  # not registered with the server
    with pytest.raises(TokenRejected) as caught:
        store.commit({"a.txt": b"one"}, "first")
    assert "rejected the token" in caught.value.message
    assert TOKEN not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None
    assert caught.value.__suppress_context__
    with pytest.raises(TokenRejected):
        store.snapshot()


def test_hub_private_repo_is_invisible_without_token(hub_server: HubDouble, tmp_path: Path) -> None:
    hub_server.tokens.add(TOKEN)
    writer = hub_store(hub_server, tmp_path)
    writer.commit({"a.txt": b"one"}, "first", private=True)
    assert hub_server.repos[REPO_ID].private

    assert hub_store(hub_server, tmp_path, token=None).snapshot() is None
    assert writer.snapshot() is not None


def test_hub_unreachable(tmp_path: Path) -> None:
    store = HubStore(REPO_ID, token=TOKEN, endpoint=free_port_url(), cache_dir=tmp_path)
    with pytest.raises(StoreUnreachable, match="cannot reach"):
        store.snapshot()
    with pytest.raises(StoreUnreachable):
        store.commit({"a.txt": b"one"}, "first")


def test_hub_store_repr_hides_the_token(hub_server: HubDouble, tmp_path: Path) -> None:
    assert TOKEN not in repr(hub_store(hub_server, tmp_path))


def test_the_double_echoes_the_token_in_raw_client_errors(
    hub_server: HubDouble, tmp_path: Path
) -> None:
    """Why HubStore redacts: the raw huggingface_hub error carries the server's text."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    with pytest.raises(HfHubHTTPError) as caught:
        HfApi(endpoint=hub_server.url, token=TOKEN).model_info(REPO_ID)
    assert TOKEN in str(caught.value)
