"""`manage.py fetch_mnist`: HIPPO_MNIST_DIR, then the cache, then the mirrors; clear offline."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from mnist_samples import services
from nn_core.mnist import MNIST_FILES
from tests.fixtures.mnist import MirrorServer


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("fetch_mnist", *args, "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _real_source() -> Path:
    source = services.source_dir()
    if source is None or not (source / MNIST_FILES["train-images"].filename).is_file():
        pytest.skip("needs the four .gz files in HIPPO_MNIST_DIR")
    return source


@pytest.mark.mnist
def test_downloads_verifies_caches_and_is_idempotent(
    mirror_server: MirrorServer, refused_url: str, tmp_path: Path
) -> None:
    source = _real_source()
    good = mirror_server.serve(
        "mnist", {s.filename: (source / s.filename).read_bytes() for s in MNIST_FILES.values()}
    )
    cache = tmp_path / "cache"
    previous = services.get_splits() if services.is_loaded() else None
    try:
        with override_settings(HIPPO_MNIST_DIR="", HIPPO_MNIST_CACHE=cache):
            output = _run("--mirror", refused_url, "--mirror", good)
            assert "MNIST is ready" in output
            assert (cache / "manifest.json").is_file()
            assert {p.name for p in cache.iterdir()} >= {s.filename for s in MNIST_FILES.values()}
            requests = len(mirror_server.requests)

            assert "nothing to do" in _run("--mirror", good)
            assert len(mirror_server.requests) == requests
    finally:
        services.reset(previous)


@pytest.mark.mnist
def test_hippo_mnist_dir_needs_no_network(refused_url: str, tmp_path: Path) -> None:
    source = _real_source()
    previous = services.get_splits() if services.is_loaded() else None
    try:
        with override_settings(HIPPO_MNIST_DIR=str(source), HIPPO_MNIST_CACHE=tmp_path / "cache"):
            output = _run("--mirror", refused_url)
    finally:
        services.reset(previous)
    assert "nothing to do" in output
    assert str(source) in output


def test_offline_without_files_fails_with_the_fix(
    mnist_missing: None, refused_url: str, tmp_path: Path
) -> None:
    with pytest.raises(CommandError) as caught:
        _run("--mirror", refused_url, "--timeout", "5")
    message = str(caught.value)
    assert "train-images-idx3-ubyte.gz" in message
    assert "HIPPO_MNIST_DIR=" in message
    assert "unreachable" in message
    cache = services.cache_dir()
    assert list(cache.iterdir()) == []


def test_a_bad_mirror_url_is_a_command_error(mnist_missing: None) -> None:
    with pytest.raises(CommandError, match="http"):
        _run("--mirror", "file:///etc/")
