"""`registry.integrity.check_files`: the one check of push, sync and load, stage by stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from nn_core.model_files import save_model, sha256_file
from nn_core.network import NeuralNetwork
from registry.integrity import FilesRejected, check_files
from tests.fixtures.networks import model_metadata


def _files(tmp_path: Path, network: NeuralNetwork) -> tuple[Path, Path]:
    weights = tmp_path / "tiny.safetensors"
    save_model(network, weights, model_metadata(network, "tiny", 90.0))
    return weights, weights.with_suffix(".json")


def test_good_files_load_with_their_metadata(tmp_path: Path) -> None:
    weights, metadata = _files(tmp_path, NeuralNetwork([784, 16, 10], seed=0))
    loaded = check_files(weights, metadata, sha256=sha256_file(weights), sizes=[784, 16, 10])
    assert loaded.network.sizes == [784, 16, 10]
    assert loaded.metadata.name == "tiny"


def test_a_checksum_mismatch_is_found_before_loading(tmp_path: Path) -> None:
    weights, metadata = _files(tmp_path, NeuralNetwork([784, 16, 10], seed=0))
    actual = sha256_file(weights)
    with pytest.raises(FilesRejected) as caught:
        check_files(weights, metadata, sha256="0" * 64)
    assert caught.value.stage == "checksum"
    assert caught.value.reason("tiny.safetensors", "abcdef0123456789") == (
        f"checksum mismatch: tiny.safetensors at revision abcdef012345 has SHA-256 {actual}, "
        f"expected {'0' * 64}"
    )


def test_files_that_do_not_load_are_invalid(tmp_path: Path) -> None:
    weights, metadata = _files(tmp_path, NeuralNetwork([784, 16, 10], seed=0))
    weights.write_bytes(weights.read_bytes()[:-100])
    with pytest.raises(FilesRejected) as caught:
        check_files(weights, metadata)
    assert caught.value.stage == "invalid"
    assert caught.value.reason("tiny.safetensors").startswith("tiny.safetensors failed validation:")


def test_other_layer_sizes_than_registered_are_refused(tmp_path: Path) -> None:
    weights, metadata = _files(tmp_path, NeuralNetwork([784, 16, 10], seed=0))
    with pytest.raises(FilesRejected) as caught:
        check_files(weights, metadata, sizes=[784, 32, 10])
    assert caught.value.stage == "sizes"
    assert caught.value.reason("tiny.safetensors") == (
        "layer sizes [784, 16, 10] of the file differ from the registered [784, 32, 10]"
    )


def test_non_finite_probe_outputs_are_refused(tmp_path: Path) -> None:
    network = NeuralNetwork([784, 16, 10], seed=3)
    network.weights[0][:, :] = 3.0e38  # finite weights whose products overflow
    weights, metadata = _files(tmp_path, network)
    with pytest.raises(FilesRejected) as caught:
        check_files(weights, metadata)
    assert caught.value.stage == "probe"
    assert caught.value.reason("tiny.safetensors").startswith(
        "tiny.safetensors failed the probe forward pass:"
    )
