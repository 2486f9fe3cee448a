"""The MNIST service: loaded once per process, seeded samples, a status that never raises."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from mnist_samples import services
from nn_core.mnist import MnistNotFoundError, MnistSplits


def test_seeded_samples_are_deterministic(mnist_splits: MnistSplits) -> None:
    first = services.sample("test", 10, seed=42)
    again = services.sample("test", 10, seed=42)
    other = services.sample("test", 10, seed=43)
    assert [s.index for s in first] == [s.index for s in again]
    assert [s.index for s in first] != [s.index for s in other]
    assert len({s.index for s in first}) == 10  # distinct


def test_unseeded_samples_are_random(mnist_splits: MnistSplits) -> None:
    draws = {tuple(s.index for s in services.sample("train", 5, None)) for _ in range(3)}
    assert len(draws) > 1


@pytest.mark.parametrize("dataset", ["train", "validation", "test"])
def test_samples_carry_the_split_data(mnist_splits: MnistSplits, dataset: str) -> None:
    split = mnist_splits.get(dataset)
    for item in services.sample(dataset, 3, seed=1):
        assert item.pixels.shape == (784,)
        assert item.pixels.dtype == np.float32
        assert item.label == int(split.labels[item.index])
        assert np.array_equal(item.pixels, split.images[item.index])


def test_the_shared_arrays_are_read_only(mnist_splits: MnistSplits) -> None:
    pixels = services.sample("test", 1, seed=0)[0].pixels
    with pytest.raises(ValueError, match="read-only"):
        pixels[0] = 1.0


def test_bad_arguments_are_refused(mnist_splits: MnistSplits) -> None:
    with pytest.raises(ValueError, match="unknown dataset"):
        services.sample("holdout", 1, None)
    with pytest.raises(ValueError, match="count must be within"):
        services.sample("test", 0, None)
    with pytest.raises(ValueError, match="count must be within"):
        services.sample("test", 10_001, None)


def test_status_when_present(mnist_splits: MnistSplits) -> None:
    status = services.mnist_status()
    assert status.ok
    assert status.source
    assert "test 10,000" in status.detail


@pytest.mark.mnist
def test_concurrent_first_calls_load_once(mnist_splits: MnistSplits) -> None:
    services.reset()
    results: list[MnistSplits] = []
    threads = [
        threading.Thread(target=lambda: results.append(services.get_splits())) for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6
    assert all(result is results[0] for result in results)
    services.reset(mnist_splits)


def test_without_mnist_the_status_explains_and_sample_raises(mnist_missing: None) -> None:
    status = services.mnist_status()
    assert not status.ok
    assert status.source is None
    assert "HIPPO_MNIST_DIR" in status.detail
    assert "fetch_mnist" in status.detail
    assert str(status) == status.detail
    with pytest.raises(MnistNotFoundError):
        services.sample("test", 1, None)
    assert services.mnist_location() is None
