"""Downloading MNIST from mirrors, over real HTTP on loopback (the machine has no internet)."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pytest

from mnist_samples.download import DownloadError, download_mnist
from nn_core.mnist import MNIST_FILES, load_mnist
from tests.fixtures.mnist import MirrorServer, TinyMnist, idx_bytes


def _by_name(tiny: TinyMnist) -> dict[str, bytes]:
    return {tiny.files[key].filename: body for key, body in tiny.gz.items()}


def test_the_first_working_mirror_is_used_and_files_are_verified(
    tiny_mnist: TinyMnist, mirror_server: MirrorServer, refused_url: str, tmp_path: Path
) -> None:
    empty = mirror_server.url("empty")  # answers 404 for everything
    good = mirror_server.serve("good", _by_name(tiny_mnist))
    target = tmp_path / "cache"

    fetched = download_mnist(
        target, [refused_url, empty, good], files=tiny_mnist.files, progress=False, timeout=5
    )

    assert [item.mirror for item in fetched] == [good] * 4
    assert sorted(p.name for p in target.iterdir()) == sorted(_by_name(tiny_mnist))
    arrays = load_mnist(None, target, use_env=False, files=tiny_mnist.files)
    assert np.array_equal(arrays.train_images, tiny_mnist.arrays["train-images"])
    assert mirror_server.requests.count("/empty/train-images-idx3-ubyte.gz") == 1


def test_a_mirror_serving_corrupt_bytes_is_rejected_and_the_next_tried(
    tiny_mnist: TinyMnist, mirror_server: MirrorServer, tmp_path: Path
) -> None:
    names = _by_name(tiny_mnist)
    truncated = mirror_server.serve("truncated", {n: b[: len(b) // 2] for n, b in names.items()})
    garbage = mirror_server.serve("garbage", dict.fromkeys(names, b"<html>mirror moved</html>"))
    wrong = mirror_server.serve(
        "wrong", dict.fromkeys(names, gzip.compress(idx_bytes(np.zeros(12, np.uint8))))
    )
    good = mirror_server.serve("good", names)

    fetched = download_mnist(
        tmp_path, [truncated, garbage, wrong, good], files=tiny_mnist.files, progress=False
    )

    assert {item.mirror for item in fetched} == {good}
    for item in fetched:
        assert item.path.read_bytes() == names[item.path.name]


def test_when_every_mirror_fails_the_error_says_why_and_nothing_partial_remains(
    tiny_mnist: TinyMnist, mirror_server: MirrorServer, refused_url: str, tmp_path: Path
) -> None:
    names = _by_name(tiny_mnist)
    broken = mirror_server.serve("broken", {n: b[:-10] for n, b in names.items()})
    missing = mirror_server.url("missing")
    target = tmp_path / "cache"

    with pytest.raises(DownloadError) as caught:
        download_mnist(
            target,
            [refused_url, missing, broken],
            files=tiny_mnist.files,
            progress=False,
            timeout=5,
        )

    message = str(caught.value)
    assert "Could not download train-images-idx3-ubyte.gz from any mirror" in message
    assert f"{refused_url}train-images-idx3-ubyte.gz: unreachable" in message
    assert "HTTP 404" in message
    assert "fails verification" in message
    assert "HIPPO_MNIST_DIR=" in message
    assert not target.exists() or list(target.iterdir()) == []


def test_files_already_present_are_not_downloaded_again(
    tiny_mnist: TinyMnist, mirror_server: MirrorServer
) -> None:
    good = mirror_server.serve("good", _by_name(tiny_mnist))
    fetched = download_mnist(tiny_mnist.directory, [good], files=tiny_mnist.files, progress=False)
    assert [item.mirror for item in fetched] == [None] * 4
    assert mirror_server.requests == []


def test_a_corrupt_local_file_is_replaced(
    tiny_mnist: TinyMnist, mirror_server: MirrorServer
) -> None:
    labels = tiny_mnist.directory / tiny_mnist.files["test-labels"].filename
    labels.write_bytes(b"junk")
    good = mirror_server.serve("good", _by_name(tiny_mnist))
    fetched = download_mnist(tiny_mnist.directory, [good], files=tiny_mnist.files, progress=False)
    assert [item.mirror for item in fetched] == [None, None, None, good]
    assert labels.read_bytes() == tiny_mnist.gz["test-labels"]


def test_progress_bars_are_shown(
    tiny_mnist: TinyMnist, mirror_server: MirrorServer, tmp_path: Path
) -> None:
    good = mirror_server.serve("good", _by_name(tiny_mnist))
    stream = io.StringIO()
    download_mnist(tmp_path, [good], files=tiny_mnist.files, progress=True, stream=stream)
    assert "train-images-idx3-ubyte.gz" in stream.getvalue()
    assert "100%" in stream.getvalue()


@pytest.mark.parametrize("url", ["file:///etc/", "ftp://example.org/mnist/", "mnist/"])
def test_only_http_mirrors_are_accepted(tmp_path: Path, url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        download_mnist(tmp_path, [url], progress=False)


@pytest.mark.mnist
def test_the_real_files_download_and_verify(mirror_server: MirrorServer, tmp_path: Path) -> None:
    from mnist_samples import services

    source = services.source_dir()
    if source is None or not (source / MNIST_FILES["train-images"].filename).is_file():
        pytest.skip("needs the four .gz files in HIPPO_MNIST_DIR")
    good = mirror_server.serve(
        "mnist",
        {spec.filename: (source / spec.filename).read_bytes() for spec in MNIST_FILES.values()},
    )
    fetched = download_mnist(tmp_path, [good], progress=False)
    assert [item.mirror for item in fetched] == [good] * 4
