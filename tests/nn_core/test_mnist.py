"""MNIST: the IDX reader, verification, sources in order, the fast cache, the splits."""

from __future__ import annotations

import gzip
import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from nn_core import mnist_cache
from nn_core.mnist import (
    MNIST_FILES,
    MnistFormatError,
    MnistNotFoundError,
    MnistSplits,
    load_data_wrapper,
    load_mnist,
    read_idx,
)
from nn_core.mnist_files import MnistFile, read_mnist_file
from tests.fixtures.mnist import TinyMnist, idx_bytes

# --- the IDX reader -------------------------------------------------------------------------


def test_read_idx_reads_gzip_and_raw_alike(tiny_mnist: TinyMnist, tmp_path: Path) -> None:
    spec = tiny_mnist.files["train-images"]
    gz_path = tiny_mnist.directory / spec.filename
    raw_path = tmp_path / "renamed.gz"  # the name says gzip, the bytes say raw: bytes win
    raw_path.write_bytes(gzip.decompress(gz_path.read_bytes()))

    from_gz = read_idx(gz_path, spec.sha256)
    from_raw = read_idx(raw_path, spec.sha256)

    assert from_gz.dtype == np.uint8
    assert from_gz.shape == (12, 28, 28)
    assert np.array_equal(from_gz, tiny_mnist.arrays["train-images"])
    assert np.array_equal(from_raw, from_gz)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x01\x02\x08\x01" + struct.pack(">I", 2) + b"\x00\x00", "bad magic number"),
        (b"\x00\x00\x42\x01" + struct.pack(">I", 2) + b"\x00\x00", "unknown IDX type code"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 5) + b"\x00\x00", "truncated"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 1) + b"\x00\x00", "trailing bytes"),
        (b"\x00\x00\x08\x03" + struct.pack(">I", 1), "truncated header"),
        (b"\x00\x00", "too short"),
        (b"\x1f\x8b" + b"not really gzip at all", "corrupt gzip"),
    ],
)
def test_read_idx_refuses_malformed_content(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(MnistFormatError, match=message):
        read_idx(_write(tmp_path / "bad-idx", data))


def test_read_idx_refuses_a_truncated_gzip(tiny_mnist: TinyMnist, tmp_path: Path) -> None:
    whole = tiny_mnist.gz["train-images"]
    with pytest.raises(MnistFormatError, match="corrupt gzip"):
        read_idx(_write(tmp_path / "cut.gz", whole[: len(whole) // 2]))


def test_read_idx_verifies_the_content_checksum(tiny_mnist: TinyMnist) -> None:
    path = tiny_mnist.directory / tiny_mnist.files["train-labels"].filename
    with pytest.raises(MnistFormatError, match="does not match the expected"):
        read_idx(path, "0" * 64)


def test_mnist_files_are_checked_against_their_kind(tiny_mnist: TinyMnist, tmp_path: Path) -> None:
    images = tiny_mnist.files["train-images"]
    labels_path = tiny_mnist.directory / tiny_mnist.files["train-labels"].filename
    with pytest.raises(MnistFormatError, match=r"magic number 0x00000801, expected 0x00000803"):
        read_mnist_file(labels_path, images)

    narrow = idx_bytes(np.zeros((12, 28, 27), dtype=np.uint8))
    with pytest.raises(MnistFormatError, match="holds 12x28x27 values, expected 12x28x28"):
        read_mnist_file(_write(tmp_path / "narrow", narrow), images)

    few = MnistFile("train-images", images.filename, images.sha256, 13)
    with pytest.raises(MnistFormatError, match="expected 13x28x28"):
        read_mnist_file(tiny_mnist.directory / images.filename, few)

    bad_labels = idx_bytes(np.array([1, 2, 10], dtype=np.uint8))
    spec = MnistFile("test-labels", "x", "0" * 64, 3)
    with pytest.raises(MnistFormatError, match=r"labels are 0\.\.9"):
        read_mnist_file(_write(tmp_path / "labels", bad_labels), spec)


def test_the_official_table_matches_the_shared_readme() -> None:
    assert [spec.filename for spec in MNIST_FILES.values()] == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    assert MNIST_FILES["train-images"].sha256.startswith("ba891046")
    assert MNIST_FILES["test-labels"].count == 10_000


# --- sources and the cache (tiny self-made files) -------------------------------------------


def _load_tiny(tiny: TinyMnist, cache: Path, source: Path | None = None) -> object:
    return load_mnist(source or tiny.directory, cache, use_env=False, files=tiny.files)


def test_first_load_parses_then_the_cache_serves(tiny_mnist: TinyMnist, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = load_mnist(tiny_mnist.directory, cache, use_env=False, files=tiny_mnist.files)
    assert first.source == str(tiny_mnist.directory)
    manifest = json.loads((cache / "manifest.json").read_text())
    assert manifest["files"]["train-images"]["content_sha256"] == (
        tiny_mnist.files["train-images"].sha256
    )

    shutil.rmtree(tiny_mnist.directory)  # the cache alone is enough now
    second = load_mnist(None, cache, use_env=False, files=tiny_mnist.files)
    assert second.source == f"cache {cache}"
    for key in ("train_images", "train_labels", "test_images", "test_labels"):
        assert np.array_equal(getattr(first, key), getattr(second, key))
    assert second.train_images.dtype == np.uint8


def _corrupt_npy_data(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(
            lambda cache: _corrupt_npy_data(cache / "train-images.npy"), id="flipped-byte"
        ),
        pytest.param(
            lambda cache: (cache / "test-labels.npy").write_bytes(
                (cache / "test-labels.npy").read_bytes()[:-2]
            ),
            id="truncated-npy",
        ),
        pytest.param(lambda cache: (cache / "manifest.json").write_text("{oops"), id="bad-json"),
        pytest.param(
            lambda cache: np.save(cache / "train-labels.npy", np.zeros(12, dtype=np.int64)),
            id="wrong-dtype",
        ),
        pytest.param(
            lambda cache: np.save(
                cache / "test-labels.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True
            ),
            id="pickled-object-array",
        ),
        pytest.param(lambda cache: (cache / "test-images.npy").unlink(), id="missing-npy"),
    ],
)
def test_a_corrupt_cache_is_discarded_and_rebuilt(
    tiny_mnist: TinyMnist, tmp_path: Path, damage: object, caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "cache"
    _load_tiny(tiny_mnist, cache)
    damage(cache)  # type: ignore[operator]

    again = load_mnist(tiny_mnist.directory, cache, use_env=False, files=tiny_mnist.files)

    assert again.source == str(tiny_mnist.directory)  # parsed again, not served from the cache
    assert "Discarding the MNIST cache" in caplog.text
    assert np.array_equal(again.test_labels, tiny_mnist.arrays["test-labels"])
    third = load_mnist(None, cache, use_env=False, files=tiny_mnist.files)
    assert third.source == f"cache {cache}"  # and the rebuilt cache is good


def test_a_corrupt_cache_without_sources_is_not_found(
    tiny_mnist: TinyMnist, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    _load_tiny(tiny_mnist, cache)
    _corrupt_npy_data(cache / "train-images.npy")
    with pytest.raises(MnistNotFoundError):
        load_mnist(tmp_path / "nowhere", cache, use_env=False, files=tiny_mnist.files)
    assert not (cache / "manifest.json").exists()


def test_missing_files_give_one_error_that_says_how_to_provide_them(tmp_path: Path) -> None:
    with pytest.raises(MnistNotFoundError) as caught:
        load_mnist(tmp_path / "empty", tmp_path / "cache", use_env=False)
    message = str(caught.value)
    for spec in MNIST_FILES.values():
        assert spec.filename in message
    assert "HIPPO_MNIST_DIR=" in message
    assert "manage.py fetch_mnist" in message
    assert str(tmp_path / "cache") in message
    assert isinstance(caught.value, FileNotFoundError)


def test_files_downloaded_into_the_cache_folder_are_found(
    tiny_mnist: TinyMnist, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(tiny_mnist.directory, cache)
    arrays = load_mnist(None, cache, use_env=False, files=tiny_mnist.files)
    assert arrays.source == str(cache)


def test_a_corrupt_source_file_falls_back_to_a_good_copy(
    tiny_mnist: TinyMnist, tmp_path: Path
) -> None:
    source = tmp_path / "source"
    shutil.copytree(tiny_mnist.directory, source)
    labels = source / tiny_mnist.files["train-labels"].filename
    labels.write_bytes(gzip.compress(idx_bytes(np.zeros(12, dtype=np.uint8))))
    cache = tmp_path / "cache"
    shutil.copytree(tiny_mnist.directory, cache)

    arrays = load_mnist(source, cache, use_env=False, files=tiny_mnist.files)
    assert np.array_equal(arrays.train_labels, tiny_mnist.arrays["train-labels"])

    with pytest.raises(MnistFormatError, match="differs from the official"):
        load_mnist(source, tmp_path / "empty-cache", use_env=False, files=tiny_mnist.files)


def test_uncompressed_files_are_accepted(tiny_mnist: TinyMnist, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for spec in tiny_mnist.files.values():
        content = gzip.decompress((tiny_mnist.directory / spec.filename).read_bytes())
        (raw / spec.raw_filename).write_bytes(content)
    arrays = load_mnist(raw, tmp_path / "cache", use_env=False, files=tiny_mnist.files)
    assert np.array_equal(arrays.test_images, tiny_mnist.arrays["test-images"])


def test_environment_variables_give_the_defaults(
    tiny_mnist: TinyMnist, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIPPO_MNIST_DIR", str(tiny_mnist.directory))
    monkeypatch.setenv("HIPPO_DATA_DIR", str(tmp_path / "data"))
    arrays = load_mnist(files=tiny_mnist.files)
    assert arrays.source == str(tiny_mnist.directory)
    assert (tmp_path / "data" / "mnist" / "manifest.json").is_file()


def test_an_unwritable_cache_only_costs_speed(
    tiny_mnist: TinyMnist, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    arrays = load_mnist(
        tiny_mnist.directory, blocker / "cache", use_env=False, files=tiny_mnist.files
    )
    assert arrays.train_images.shape == (12, 28, 28)
    assert "Could not write the MNIST cache" in caplog.text


def test_cache_check_rebuilds_the_official_checksum(tiny_mnist: TinyMnist) -> None:
    for key, spec in tiny_mnist.files.items():
        assert mnist_cache.content_sha256(tiny_mnist.arrays[key]) == spec.sha256


# --- the real MNIST ---------------------------------------------------------------------------


def test_splits_follow_the_seed(mnist_splits: MnistSplits) -> None:
    train, validation, test = mnist_splits.train, mnist_splits.validation, mnist_splits.test
    assert (len(train), len(validation), len(test)) == (50_000, 10_000, 10_000)
    assert train.images.shape == (50_000, 784)
    assert train.images.dtype == np.float32
    assert train.labels.dtype == np.int64
    assert float(train.images.min()) == 0.0
    assert float(train.images.max()) == 1.0
    assert train.labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert test.labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert mnist_splits.get("validation") is validation
    assert set(mnist_splits.checksums) == {spec.filename for spec in MNIST_FILES.values()}
    with pytest.raises(ValueError, match="unknown dataset"):
        mnist_splits.get("holdout")


@pytest.mark.mnist
def test_validation_is_the_last_ten_thousand_training_images(
    mnist_splits: MnistSplits, tmp_path: Path
) -> None:
    from mnist_samples import services

    arrays = load_mnist(services.source_dir(), services.cache_dir(), use_env=False)
    expected = arrays.train_images[50_000:].reshape(10_000, 784) / 255.0
    assert np.allclose(mnist_splits.validation.images, expected)
    assert np.array_equal(mnist_splits.validation.labels, arrays.train_labels[50_000:])


@pytest.mark.mnist
def test_the_cache_alone_loads_all_70000_images(tmp_path: Path) -> None:
    # Its speed (~0.04 s against ~0.25 s parsing the IDX files) is measured by bench/train_speed.py.
    from mnist_samples import services

    arrays = load_mnist(services.source_dir(), services.cache_dir(), use_env=False)
    cache = tmp_path / "cache"
    mnist_cache.write_cache(
        cache,
        {
            "train-images": arrays.train_images,
            "train-labels": arrays.train_labels,
            "test-images": arrays.test_images,
            "test-labels": arrays.test_labels,
        },
        MNIST_FILES,
        "test",
    )
    cached = load_mnist(None, cache, use_env=False)  # no IDX source: the cache must serve
    assert cached.source == f"cache {cache}"
    assert cached.train_images.shape[0] + cached.test_images.shape[0] == 70_000
    assert np.array_equal(cached.train_images, arrays.train_images)
    assert np.array_equal(cached.test_labels, arrays.test_labels)


@pytest.mark.mnist
def test_load_data_wrapper_is_the_seeds_format(mnist_splits: MnistSplits) -> None:
    from mnist_samples import services

    training, validation, test = load_data_wrapper(services.source_dir(), services.cache_dir())
    assert (len(training), len(validation), len(test)) == (50_000, 10_000, 10_000)
    x, y = training[0]
    assert x.shape == (784, 1)
    assert x.dtype == np.float32
    assert y.shape == (10, 1)
    assert y.ravel().tolist() == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0]
    x_test, label = test[0]
    assert x_test.shape == (784, 1)
    assert isinstance(label, int)
    assert label == 7
    assert validation[0][1] == int(mnist_splits.validation.labels[0])
