"""Model files: safetensors + JSON round trip, every corrupt or inconsistent file refused, npz."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors.numpy
from safetensors import safe_open

from nn_core.layers import parse_layers
from nn_core.model_files import (
    FORMAT_VERSION,
    ModelFileError,
    ModelMetadata,
    export_npz,
    import_npz,
    load_model,
    read_metadata,
    save_model,
    sha256_file,
)
from nn_core.network import NeuralNetwork
from nn_core.sequential import Sequential

SIZES = [784, 30, 10]


def _metadata(network: NeuralNetwork, **changes: Any) -> ModelMetadata:
    fields: dict[str, Any] = {
        "name": "mnist-784-30-10-relu-95",
        "sizes": list(network.sizes),
        "activation": network.activation,
        "output": network.output,
        "cost": network.cost,
        "dtype": network.dtype.name,
        "metrics": {"test_accuracy": 95.1, "per_class_accuracy": [95.0] * 10},
        "training": {"config": {"epochs": 3, "learning_rate": 0.1}, "seed": 7, "history": []},
        "description": "a test model",
    }
    fields.update(changes)
    return ModelMetadata(**fields)


@pytest.fixture
def network() -> NeuralNetwork:
    return NeuralNetwork(SIZES, activation="relu", seed=7)


@pytest.fixture
def saved(network: NeuralNetwork, tmp_path: Path) -> tuple[Path, Path]:
    return save_model(network, tmp_path / "model.safetensors", _metadata(network))


def _inputs() -> np.ndarray:
    return np.random.default_rng(0).random((32, 784), dtype=np.float32)


# --- round trips ------------------------------------------------------------------------------


def test_save_then_load_gives_bitwise_equal_predictions(
    network: NeuralNetwork, saved: tuple[Path, Path]
) -> None:
    weights_path, metadata_path = saved
    assert metadata_path == weights_path.with_suffix(".json")
    loaded = load_model(weights_path)

    before, after = network.predict(_inputs()), loaded.network.predict(_inputs())
    assert np.array_equal(before.probabilities, after.probabilities)
    assert np.array_equal(before.digits, after.digits)
    assert loaded.metadata == _metadata(network, created_at=loaded.metadata.created_at)
    for mine, theirs in zip(network.weights, loaded.network.weights, strict=True):
        assert np.array_equal(mine, theirs)
        assert theirs.flags.writeable  # a loaded network can be trained further


def test_the_files_are_standard_safetensors_and_json(saved: tuple[Path, Path]) -> None:
    weights_path, metadata_path = saved
    with safe_open(str(weights_path), framework="np") as handle:
        assert sorted(handle.keys()) == [
            "layers.0.bias",
            "layers.0.weight",
            "layers.1.bias",
            "layers.1.weight",
        ]
        assert handle.get_tensor("layers.0.weight").shape == (30, 784)
        assert handle.get_tensor("layers.1.bias").shape == (10,)
        assert handle.metadata()["format_version"] == str(FORMAT_VERSION)
    document = json.loads(metadata_path.read_text())
    assert document["format_version"] == FORMAT_VERSION
    assert document["sizes"] == SIZES
    assert document["dtype"] == "float32"
    assert document["metrics"]["test_accuracy"] == 95.1
    assert document["training"]["seed"] == 7
    assert "T" in document["created_at"]


def test_float64_networks_round_trip(tmp_path: Path) -> None:
    network = NeuralNetwork(
        [4, 3, 2], activation="tanh", output="sigmoid", cost="quadratic", seed=1, dtype="float64"
    )
    path, _ = save_model(network, tmp_path / "small.safetensors", _metadata(network))
    loaded = load_model(path).network
    x = np.random.default_rng(1).random((5, 4))
    assert loaded.dtype == np.float64
    assert np.array_equal(loaded.predict(x).probabilities, network.predict(x).probabilities)


def test_saving_again_replaces_atomically(network: NeuralNetwork, tmp_path: Path) -> None:
    path = tmp_path / "m.safetensors"
    save_model(network, path, _metadata(network))
    other = NeuralNetwork(SIZES, seed=8)
    save_model(other, path, _metadata(other, description="second"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.safetensors"]
    loaded = load_model(path)
    assert loaded.metadata.description == "second"
    assert np.array_equal(loaded.network.weights[0], other.weights[0])


def test_metadata_round_trips_through_a_dict(network: NeuralNetwork) -> None:
    metadata = _metadata(network)
    assert ModelMetadata.from_dict(metadata.to_dict()) == metadata


def test_a_metadata_path_can_be_given(network: NeuralNetwork, tmp_path: Path) -> None:
    path, metadata_path = save_model(network, tmp_path / "a.safetensors", _metadata(network))
    moved = metadata_path.rename(tmp_path / "elsewhere.json")
    assert load_model(path, moved).metadata.name == "mnist-784-30-10-relu-95"


# --- saving refuses broken or inconsistent models ----------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sizes": [784, 31, 10]}, "sizes"),
        ({"activation": "sigmoid"}, "activation"),
        ({"output": "sigmoid"}, "output"),
        ({"cost": "quadratic"}, "cost"),
        ({"dtype": "float64"}, "dtype"),
        ({"metrics": {"test_loss": float("nan")}}, "not valid JSON"),
        ({"name": ""}, "name"),
    ],
)
def test_saving_refuses_metadata_that_does_not_describe_the_network(
    network: NeuralNetwork, tmp_path: Path, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ModelFileError, match=message):
        save_model(network, tmp_path / "m.safetensors", _metadata(network, **changes))
    assert list(tmp_path.iterdir()) == []


def test_saving_refuses_nan_weights_and_writes_nothing(
    network: NeuralNetwork, tmp_path: Path
) -> None:
    network.weights[1][3, 4] = np.nan
    with pytest.raises(ModelFileError, match=r"layers\.1\.weight holds NaN or infinite"):
        save_model(network, tmp_path / "m.safetensors", _metadata(network))
    assert list(tmp_path.iterdir()) == []


def test_saving_needs_the_safetensors_suffix(network: NeuralNetwork, tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match=r"must end in \.safetensors"):
        save_model(network, tmp_path / "m.bin", _metadata(network))


# --- loading refuses corrupt or inconsistent files ---------------------------------------------


def _tensors(network: NeuralNetwork) -> dict[str, np.ndarray]:
    tensors: dict[str, np.ndarray] = {}
    for i, (w, b) in enumerate(zip(network.weights, network.biases, strict=True)):
        tensors[f"layers.{i}.weight"] = np.ascontiguousarray(w)
        tensors[f"layers.{i}.bias"] = np.ascontiguousarray(b)
    return tensors


def _rewrite_tensors(path: Path, change: Any, network: NeuralNetwork) -> None:
    tensors = _tensors(network)
    change(tensors)
    safetensors.numpy.save_file(tensors, str(path))


def _nan_weight(tensors: dict[str, np.ndarray]) -> None:
    tensors["layers.0.weight"] = tensors["layers.0.weight"].copy()
    tensors["layers.0.weight"][0, 0] = np.nan


def _inf_bias(tensors: dict[str, np.ndarray]) -> None:
    tensors["layers.1.bias"] = np.full(10, np.inf, dtype=np.float32)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.pop("layers.1.bias"), r"missing tensors layers\.1\.bias"),
        (
            lambda t: t.update({"layers.2.weight": np.zeros((1, 1), np.float32)}),
            "unexpected tensors",
        ),
        (
            lambda t: t.update({"layers.0.weight": np.zeros((30, 783), np.float32)}),
            r"layers\.0\.weight has shape \(30, 783\), expected \(30, 784\)",
        ),
        (
            lambda t: t.update({"layers.1.bias": np.zeros(10, np.float64)}),
            r"layers\.1\.bias is float64, the metadata says float32",
        ),
        (_nan_weight, r"layers\.0\.weight holds NaN or infinite values"),
        (_inf_bias, r"layers\.1\.bias holds NaN or infinite values"),
    ],
)
def test_inconsistent_tensors_are_refused(
    network: NeuralNetwork, saved: tuple[Path, Path], change: Any, message: str
) -> None:
    weights_path, _ = saved
    _rewrite_tensors(weights_path, change, network)
    with pytest.raises(ModelFileError, match=message):
        load_model(weights_path)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data[:-1], id="one-byte-short"),
        pytest.param(lambda data: data[:6], id="shorter-than-the-header-length"),
        pytest.param(lambda data: b"\x00" * 64 + data, id="garbage-prefix"),
        pytest.param(
            lambda data: bytes(np.random.default_rng(1).integers(0, 256, 4096, np.uint8)),
            id="random-bytes",
        ),
        pytest.param(lambda data: b"", id="empty"),
    ],
)
def test_corrupt_safetensors_are_refused(saved: tuple[Path, Path], damage: Any) -> None:
    weights_path, _ = saved
    weights_path.write_bytes(damage(weights_path.read_bytes()))
    with pytest.raises(ModelFileError, match="not a valid safetensors file"):
        load_model(weights_path)


def _as_v1(document: dict[str, Any], **changes: Any) -> None:
    """Turn a version-2 metadata document into the version-1 form (sizes, no layers)."""
    document.pop("layers")
    document.pop("input_shape")
    document.update({"format_version": 1, **changes})


def _edit_json(path: Path, change: Any) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update({"format_version": 3}), "unsupported format_version 3"),
        (lambda d: d.update({"format_version": "1"}), "format_version must be an integer"),
        (lambda d: d.pop("format_version"), "format_version must be an integer"),
        (lambda d: d.update({"activation": "swish"}), "unknown activation 'swish'"),
        (lambda d: d.update({"output": "linear"}), "unknown output"),
        (lambda d: d.update({"cost": "hinge"}), "unknown cost"),
        (lambda d: d.update({"dtype": "float16"}), "unknown dtype"),
        (lambda d: d.update({"sizes": [784, 10]}), r"sizes \[784, 10\] do not match the layers"),
        (lambda d: _as_v1(d, sizes=[784, 10]), r"unexpected tensors layers\.1\.bias"),
        (
            lambda d: _as_v1(d, sizes=[784, 31, 10]),
            r"has shape \(30, 784\), expected \(31, 784\)",
        ),
        (
            lambda d: (d["layers"].__setitem__(0, {"type": "dense", "units": 31}), d.pop("sizes")),
            r"has shape \(30, 784\), expected \(31, 784\)",
        ),
        (lambda d: d["layers"].append({"type": "transformer"}), "unknown layer type 'transformer'"),
        (lambda d: d.update({"input_shape": [1, 28]}), "input_shape must be"),
        (lambda d: d.pop("layers"), "layers must be a list"),
        (lambda d: d.update({"sizes": [784, True, 10]}), "positive integers"),
        (lambda d: d.update({"sizes": [784]}), "at least two"),
        (lambda d: d.update({"sizes": "784-30-10"}), "at least two"),
        (lambda d: d.update({"metrics": [1, 2]}), "metrics must be a JSON object"),
        (lambda d: d.update({"created_at": "yesterday"}), "not ISO 8601"),
        (lambda d: d.pop("name"), "name must be a non-empty string"),
    ],
)
def test_invalid_metadata_is_refused(saved: tuple[Path, Path], change: Any, message: str) -> None:
    weights_path, metadata_path = saved
    _edit_json(metadata_path, change)
    with pytest.raises(ModelFileError, match=message):
        load_model(weights_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"test_loss": NaN}', "NaN is not valid in strict JSON"),
        ("[1, 2, 3]", "metadata must be a JSON object"),
        ("", "not valid JSON"),
    ],
)
def test_bad_json_is_refused(saved: tuple[Path, Path], text: str, message: str) -> None:
    weights_path, metadata_path = saved
    metadata_path.write_text(text)
    with pytest.raises(ModelFileError, match=message):
        load_model(weights_path)
    with pytest.raises(ModelFileError, match=str(metadata_path)):
        read_metadata(metadata_path)


def test_missing_files_are_refused(saved: tuple[Path, Path]) -> None:
    weights_path, metadata_path = saved
    metadata_path.unlink()
    with pytest.raises(ModelFileError, match="metadata file not found"):
        load_model(weights_path)


def test_weights_file_missing_is_refused(saved: tuple[Path, Path]) -> None:
    weights_path, metadata_path = saved
    weights_path.unlink()
    with pytest.raises(ModelFileError, match="weights file not found"):
        load_model(weights_path, metadata_path)


# --- npz -------------------------------------------------------------------------------------


def test_npz_round_trip(network: NeuralNetwork, tmp_path: Path) -> None:
    path = export_npz(network, tmp_path / "model.npz")
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted(_tensors(network))
    loaded = import_npz(path, _metadata(network))
    assert np.array_equal(
        loaded.predict(_inputs()).probabilities, network.predict(_inputs()).probabilities
    )


class _Trap:
    """Unpickling this would create a file: proof that nothing is unpickled."""

    marker: Path

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def test_an_npz_with_an_object_array_is_refused_not_unpickled(
    network: NeuralNetwork, tmp_path: Path
) -> None:
    trap = _Trap()
    trap.marker = tmp_path / "unpickled"
    tensors: dict[str, Any] = dict(_tensors(network))
    tensors["layers.0.bias"] = np.array([trap], dtype=object)
    path = tmp_path / "evil.npz"
    np.savez(path, **tensors)  # allow_pickle defaults to True when saving

    with pytest.raises(ModelFileError, match="allow_pickle=False"):
        import_npz(path, _metadata(network))
    assert not trap.marker.exists()


def test_npz_problems_are_refused(network: NeuralNetwork, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"PK\x03\x04 this is no zip")
    with pytest.raises(ModelFileError, match=r"not a valid \.npz"):
        import_npz(garbage, _metadata(network))

    partial = tmp_path / "partial.npz"
    tensors = _tensors(network)
    del tensors["layers.0.weight"]
    np.savez(partial, allow_pickle=False, **tensors)
    with pytest.raises(ModelFileError, match=r"missing tensors layers\.0\.weight"):
        import_npz(partial, _metadata(network))

    with pytest.raises(ModelFileError, match="file not found"):
        import_npz(tmp_path / "absent.npz", _metadata(network))


def test_sha256_file(saved: tuple[Path, Path]) -> None:
    weights_path, _ = saved
    assert sha256_file(weights_path) == hashlib.sha256(weights_path.read_bytes()).hexdigest()


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    from nn_core.atomic_files import atomic_writer

    target = tmp_path / "m.safetensors"
    target.write_bytes(b"old")

    def write_then_fail() -> None:
        with atomic_writer(target) as handle:
            handle.write(b"half of the new")
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_then_fail()
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


def test_saved_files_are_readable_under_the_umask(tmp_path: Path) -> None:
    """Atomic writes must not leave model files private to the writer (mkstemp makes them 0600)."""
    from nn_core.atomic_files import atomic_write_bytes

    target = atomic_write_bytes(tmp_path / "x.json", b"{}")
    assert target.stat().st_mode & 0o777 == 0o666 & ~_current_umask()


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- any architecture (format version 2) --------------------------------------------------------

CNN_SPECS = parse_layers("conv3x3x4,pool2,conv3x3x6same,pool2,dense16,dropout0.25,dense10")


@pytest.fixture
def cnn() -> Sequential:
    return Sequential(CNN_SPECS, [1, 28, 28], seed=3)


def test_a_cnn_round_trips_with_its_architecture(cnn: Sequential, tmp_path: Path) -> None:
    metadata = ModelMetadata.for_network(cnn, "cnn-test", metrics={"test_accuracy": 50.0})
    weights_path, metadata_path = save_model(cnn, tmp_path / "cnn.safetensors", metadata)
    document = json.loads(metadata_path.read_text())
    assert document["format_version"] == 2
    assert document["input_shape"] == [1, 28, 28]
    assert document["layers"] == cnn.specs()
    assert document["sizes"] == [784, 26 * 26 * 4, 13 * 13 * 6, 16, 10]
    with safe_open(str(weights_path), framework="numpy") as handle:
        shapes = {name: tuple(handle.get_tensor(name).shape) for name in handle.keys()}  # noqa: SIM118
    assert shapes == {
        "layers.0.weight": (4, 1, 3, 3),
        "layers.0.bias": (4,),
        "layers.1.weight": (6, 4, 3, 3),
        "layers.1.bias": (6,),
        "layers.2.weight": (16, 6 * 6 * 6),
        "layers.2.bias": (16,),
        "layers.3.weight": (10, 16),
        "layers.3.bias": (10,),
    }
    loaded = load_model(weights_path)
    assert isinstance(loaded.network, Sequential)
    assert not isinstance(loaded.network, NeuralNetwork)
    assert loaded.metadata.architecture == (
        "1x28x28-conv3x3x4-pool2-conv3x3x6same-pool2-dense16-dropout0.25-dense10"
    )
    np.testing.assert_array_equal(
        loaded.network.predict(_inputs()).probabilities, cnn.predict(_inputs()).probabilities
    )


def test_every_cnn_tensor_shape_is_checked(cnn: Sequential, tmp_path: Path) -> None:
    metadata = ModelMetadata.for_network(cnn, "cnn-test")
    weights_path, _ = save_model(cnn, tmp_path / "cnn.safetensors", metadata)
    tensors = safetensors.numpy.load_file(str(weights_path))
    tensors["layers.1.weight"] = np.zeros((6, 4, 3, 2), np.float32)
    weights_path.write_bytes(safetensors.numpy.save(tensors))
    with pytest.raises(ModelFileError, match=r"layers\.1\.weight has shape \(6, 4, 3, 2\)"):
        load_model(weights_path)


def test_an_architecture_that_does_not_fit_is_refused(cnn: Sequential, tmp_path: Path) -> None:
    metadata = ModelMetadata.for_network(cnn, "cnn-test")
    _, metadata_path = save_model(cnn, tmp_path / "cnn.safetensors", metadata)
    _edit_json(metadata_path, lambda d: d.update({"input_shape": [1, 5, 5]}))
    with pytest.raises(
        ModelFileError, match=r"invalid architecture: layer 5 \(maxpool2d\): .* does not fit 1x1"
    ):
        read_metadata(metadata_path)


def test_a_version_1_file_still_loads(network: NeuralNetwork, saved: tuple[Path, Path]) -> None:
    weights_path, metadata_path = saved
    _edit_json(metadata_path, _as_v1)
    assert json.loads(metadata_path.read_text())["format_version"] == 1
    loaded = load_model(weights_path)
    assert isinstance(loaded.network, NeuralNetwork)
    assert loaded.metadata.layers == network.specs()
    np.testing.assert_array_equal(
        loaded.network.feedforward(_inputs()), network.feedforward(_inputs())
    )


def test_a_cnn_npz_round_trip(cnn: Sequential, tmp_path: Path) -> None:
    path = export_npz(cnn, tmp_path / "cnn.npz")
    network = import_npz(path, ModelMetadata.for_network(cnn, "cnn"))
    np.testing.assert_array_equal(network.feedforward(_inputs()), cnn.feedforward(_inputs()))


def test_saving_the_same_network_gives_the_same_bytes(
    network: NeuralNetwork, tmp_path: Path
) -> None:
    # The safetensors library writes its header's metadata in hash-map order, which changes
    # between saves and processes; the header is rewritten sorted, so the bytes never change.
    metadata = _metadata(network, created_at="2024-01-01T00:00:00+00:00")
    contents = set()
    for attempt in range(8):
        weights, _ = save_model(network, tmp_path / f"copy{attempt}.safetensors", metadata)
        contents.add(weights.read_bytes())
    assert len(contents) == 1
    data = contents.pop()
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + length])
    assert list(header) == sorted(header)
    assert list(header["__metadata__"]) == sorted(header["__metadata__"])
    reloaded = load_model(tmp_path / "copy0.safetensors").network
    assert all(np.array_equal(a, b) for a, b in zip(reloaded.weights, network.weights, strict=True))
