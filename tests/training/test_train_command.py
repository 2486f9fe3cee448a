"""``train_mnist`` end to end on real MNIST (small subsets): files, metadata, Ctrl-C, divergence."""

from __future__ import annotations

import _thread
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import OutputWrapper
from PIL import Image

from nn_core.model_files import load_model
from nn_core.network import EpochReport
from registry.models import RegisteredModel
from training import services
from training.services import NothingToSave, TrainingConfig

# train_mnist looks a default name up in the registry (never to take a registered model's name).
pytestmark = [pytest.mark.mnist, pytest.mark.django_db]

TINY = ["--sizes", "784", "32", "10", "--epochs", "2", "--limit-train", "3000", "--seed", "3"]


def _png_ok(path: Path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        image.verify()


def test_writes_loadable_model_with_complete_metadata(tmp_path: Path, mnist_splits: Any) -> None:
    out = io.StringIO()
    call_command("train_mnist", *TINY, "--output", str(tmp_path), stdout=out, stderr=io.StringIO())
    text = out.getvalue()

    weights = list(tmp_path.glob("*.safetensors"))
    assert len(weights) == 1
    name = weights[0].stem
    assert name.startswith("mnist-784-32-10-relu-")
    for suffix in (".json", ".png", "-confusion.png"):
        assert (tmp_path / f"{name}{suffix}").is_file()
    _png_ok(tmp_path / f"{name}.png")
    _png_ok(tmp_path / f"{name}-confusion.png")

    loaded = load_model(weights[0])
    meta = loaded.metadata
    assert (meta.name, meta.sizes, meta.activation) == (name, [784, 32, 10], "relu")
    assert (meta.output, meta.cost, meta.dtype) == ("softmax", "cross_entropy", "float32")

    metrics = meta.metrics
    # The stored accuracy is that of the stored weights, and the name floors it.
    test = mnist_splits.test
    recomputed = 100.0 * np.mean(loaded.network.predict(test.images).digits == test.labels)
    assert metrics["test_accuracy"] == pytest.approx(recomputed)
    assert name == f"mnist-784-32-10-relu-{int(metrics['test_accuracy'])}"
    assert metrics["test_accuracy"] > 80.0  # 3,000 images, 2 epochs: well past chance
    assert len(metrics["per_class_accuracy"]) == 10
    matrix = np.array(metrics["confusion_matrix"])
    assert matrix.shape == (10, 10)
    assert matrix.sum() == len(test)
    assert np.trace(matrix) == round(recomputed * len(test) / 100)
    assert {"validation_accuracy", "test_loss", "train_accuracy"} <= set(metrics)

    training = meta.training
    assert training["config"]["sizes"] == [784, 32, 10]
    assert training["config"]["epochs"] == 2
    assert training["config"]["limit_train"] == 3000
    assert training["seed"] == 3
    assert [h["epoch"] for h in training["history"]] == [1, 2]
    assert set(training["history"][0]) == {
        "epoch", "train_loss", "validation_accuracy", "validation_loss", "learning_rate", "seconds"
    }  # fmt: skip
    assert training["dataset"]["checksums"] == mnist_splits.checksums
    assert training["dataset"]["train_samples"] == 3000
    assert training["duration_seconds"] > 0
    assert set(training["library_versions"]) >= {"numpy", "python", "hippo"}
    assert training["best_epoch"] in (1, 2)
    assert training["interrupted"] is False
    best = training["history"][training["best_epoch"] - 1]["validation_accuracy"]
    assert (
        metrics["validation_accuracy"]
        == best
        == max(h["validation_accuracy"] for h in training["history"])
    )

    # One line per epoch, the summary and the readable confusion table.
    assert "epoch   1/2" in text
    assert "epoch   2/2" in text
    assert "per-class accuracy" in text
    assert "true\\pred" in text
    assert f"wrote {weights[0]}" in text


def test_name_and_training_options_are_recorded(tmp_path: Path, mnist_splits: Any) -> None:
    call_command(
        "train_mnist", "--sizes", "784", "16", "10", "--activation", "tanh", "--output-layer",
        "sigmoid", "--cost", "quadratic", "--optimizer", "momentum", "--learning-rate", "0.5",
        "--mini-batch-size", "20", "--l2", "1e-5", "--schedule", "step", "--epochs", "1",
        "--limit-train", "1000", "--name", "my-model_1", "--output", str(tmp_path), verbosity=0,
    )  # fmt: skip
    meta = json.loads((tmp_path / "my-model_1.json").read_text())
    assert meta["name"] == "my-model_1"
    assert (meta["activation"], meta["output"], meta["cost"]) == ("tanh", "sigmoid", "quadratic")
    config = meta["training"]["config"]
    assert config["optimizer"] == "momentum"
    assert config["learning_rate"] == 0.5
    assert config["mini_batch_size"] == 20
    assert config["l2"] == 1e-5
    assert config["schedule"] == "step"
    load_model(tmp_path / "my-model_1.safetensors")


@pytest.mark.parametrize("rate", ["3.0", "1e6"])
def test_divergence_is_a_clear_error_and_writes_nothing(
    rate: str, tmp_path: Path, mnist_splits: Any
) -> None:
    # The original Hippo's example (784-100-10 relu, η = 3.0, plain SGD on mini-batches of 10),
    # on a subset.
    out = tmp_path / "models"
    with pytest.raises(CommandError) as excinfo:
        call_command(
            "train_mnist", "--sizes", "784", "100", "10", "--activation", "relu",
            "--learning-rate", rate, "--optimizer", "sgd", "--mini-batch-size", "10",
            "--schedule", "constant", "--epochs", "2", "--limit-train", "2000", "--seed", "0",
            "--output", str(out), verbosity=0, stderr=io.StringIO(),
        )  # fmt: skip
    message = str(excinfo.value)
    assert message.startswith("training diverged; nothing was written.")
    assert "learning rate" in message
    assert not out.exists()


class _InterruptAfter(io.StringIO):
    """Command output that presses Ctrl-C (a real SIGINT-style KeyboardInterrupt in the main
    thread) as soon as the given epoch's line has been written."""

    def __init__(self, epoch: int, epochs: int) -> None:
        super().__init__()
        self.marker = f"epoch {epoch:>3}/{epochs}"
        self.pressed = False

    def write(self, s: str) -> int:
        written = super().write(s)
        if not self.pressed and self.marker in s:
            self.pressed = True
            _thread.interrupt_main()
        return written


def test_ctrl_c_in_the_command_keeps_the_best_checkpoint(tmp_path: Path, mnist_splits: Any) -> None:
    out = _InterruptAfter(epoch=2, epochs=6)
    args = ["--sizes", "784", "32", "10", "--epochs", "6", "--limit-train", "2000", "--seed", "5"]
    call_command("train_mnist", *args, "--name", "cut", "--output", str(tmp_path), stdout=out)
    assert out.pressed
    assert "interrupted after 2 epoch(s)" in out.getvalue()
    loaded = load_model(tmp_path / "cut.safetensors")
    training = loaded.metadata.training
    assert training["interrupted"] is True
    assert len(training["history"]) == 2
    assert training["best_epoch"] in (1, 2)


def test_interrupt_keeps_the_best_weights_so_far(tmp_path: Path, mnist_splits: Any) -> None:
    def stop_at_two(report: EpochReport, is_best: bool) -> None:
        if report.epoch == 2:
            raise KeyboardInterrupt

    config = TrainingConfig(sizes=(784, 24, 10), epochs=5, limit_train=2000, seed=11)
    result = services.run_training(config, mnist_splits, on_epoch=stop_at_two)
    assert result.interrupted
    assert result.epochs_completed == 2
    accuracies = [h["validation_accuracy"] for h in result.history]
    assert result.best_epoch == 1 + int(np.argmax(accuracies))
    # The kept network really is the best epoch's: its validation accuracy matches the history.
    validation_accuracy, _, _ = services.evaluate(result.network, mnist_splits.validation)
    assert validation_accuracy == pytest.approx(max(accuracies))

    files = services.write_model_files(result, tmp_path)
    loaded = load_model(files.weights)
    assert loaded.metadata.training["interrupted"] is True
    assert "(interrupted)" in loaded.metadata.description
    for w_saved, w_best in zip(loaded.network.weights, result.network.weights, strict=True):
        np.testing.assert_array_equal(w_saved, w_best)


def test_interrupt_in_the_first_epoch_leaves_nothing_to_save(mnist_splits: Any) -> None:
    def press_ctrl_c(done: int, total: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    config = TrainingConfig(sizes=(784, 16, 10), epochs=2, limit_train=1000, seed=1)
    with pytest.raises(NothingToSave, match="before the first epoch finished"):
        services.run_training(config, mnist_splits, on_batch=press_ctrl_c)


def test_returning_false_from_on_epoch_stops_early(mnist_splits: Any) -> None:
    config = TrainingConfig(sizes=(784, 16, 10), epochs=4, limit_train=1000, seed=2)
    result = services.run_training(
        config, mnist_splits, on_epoch=lambda report, best: report.epoch < 2
    )
    assert result.epochs_completed == 2
    assert result.stopped_early
    assert not result.interrupted


def test_same_seed_same_model(mnist_splits: Any) -> None:
    config = TrainingConfig(sizes=(784, 16, 10), epochs=1, limit_train=1000, seed=9)
    first = services.run_training(config, mnist_splits)
    second = services.run_training(config, mnist_splits)
    assert first.test_accuracy == second.test_accuracy
    for a, b in zip(first.network.weights, second.network.weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_random_seed_is_drawn_and_recorded(mnist_splits: Any) -> None:
    config = TrainingConfig(sizes=(784, 16, 10), epochs=1, limit_train=500)
    result = services.run_training(config, mnist_splits)
    assert isinstance(result.config.seed, int)
    assert services.build_metadata(result, "x").training["seed"] == result.config.seed


def test_a_cnn_from_a_layer_spec_is_trained_and_named_by_its_layers(
    tmp_path: Path, mnist_splits: Any
) -> None:
    out = io.StringIO()
    call_command(
        "train_mnist", "--layers", "conv3x3x4,pool2,dense16,dropout0.2,dense10", "--optimizer",
        "adam", "--learning-rate", "0.003", "--epochs", "1", "--limit-train", "2000", "--seed",
        "5", "--augment", "--output", str(tmp_path), stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    weights = list(tmp_path.glob("*.safetensors"))
    assert len(weights) == 1
    loaded = load_model(weights[0])
    meta = loaded.metadata
    accuracy = int(meta.metrics["test_accuracy"])
    assert meta.name == f"mnist-conv3x3x4-pool2-dense16-dropout0p2-dense10-relu-aug-{accuracy}"
    assert meta.input_shape == [1, 28, 28]
    assert [spec["type"] for spec in meta.layers] == [
        "conv2d", "activation", "maxpool2d", "flatten", "dense", "activation", "dropout", "dense",
    ]  # fmt: skip
    assert meta.training["config"]["augment"] is True
    assert meta.training["config"]["layers"] == meta.layers
    assert accuracy > 60  # 2,000 augmented images, one epoch
    test = mnist_splits.test
    recomputed = 100.0 * np.mean(loaded.network.predict(test.images).digits == test.labels)
    assert meta.metrics["test_accuracy"] == pytest.approx(recomputed)
    assert "training conv3x3x4-pool2-dense16-dropout0.2-dense10 relu/softmax, augmented" in (
        out.getvalue()
    )


def test_dropout_flag_on_an_mlp_and_a_json_layer_file(tmp_path: Path, mnist_splits: Any) -> None:
    call_command(
        "train_mnist", *TINY[:-4], "--epochs", "1", "--limit-train", "1000", "--dropout", "0.3",
        "--name", "mlp-dropout", "--output", str(tmp_path), verbosity=0,
    )  # fmt: skip
    meta = json.loads((tmp_path / "mlp-dropout.json").read_text())
    assert {"type": "dropout", "rate": 0.3} in meta["layers"]
    spec_file = tmp_path / "layers.json"
    spec_file.write_text(
        json.dumps(
            [
                {"type": "dense", "units": 12},
                {"type": "activation", "function": "tanh"},
                {"type": "dense", "units": 10},
            ]
        )
    )
    call_command(
        "train_mnist", "--layers", str(spec_file), "--epochs", "1", "--limit-train", "500",
        "--name", "from-json", "--output", str(tmp_path), verbosity=0,
    )  # fmt: skip
    loaded = load_model(tmp_path / "from-json.safetensors")
    assert loaded.metadata.sizes == [784, 12, 10]
    assert loaded.metadata.activation == "tanh"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--layers", "conv3x3x4,dense10", "--arch", "cnn"], "--layers or --arch, not both"),
        (["--layers", "conv3x3"], "cannot read layer"),
        (["--layers", "conv3x3x4,dense12"], "must end with dense10"),
        (["--layers", "conv29x29x4,dense10"], "does not fit"),
        (["--layers", "missing.json"], "cannot read the JSON layer list"),
        (["--dropout", "1.5"], "--dropout must be in"),
    ],
)
def test_bad_architectures_are_clear_errors(arguments: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("train_mnist", *arguments, "--epochs", "1", verbosity=0)


def test_progress_bars_only_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from training.management.commands.train_mnist import EpochProgress

    report = EpochReport(1, 0.5, 90.0, 0.4, 0.1, 1.0)
    for interactive in (False, True):
        out = io.StringIO()
        progress = EpochProgress(OutputWrapper(out), 1, interactive=interactive)
        for batch in range(1, 51):
            progress.on_batch(batch, 50)
        progress.on_epoch(report, True)
        drawn = capsys.readouterr().err
        assert out.getvalue().count("epoch   1/1") == 1
        assert ("epoch 1/1" in drawn) is interactive


def _train(tmp_path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command(
        "train_mnist", *TINY, "--output", str(tmp_path), *args, stdout=out, stderr=io.StringIO()
    )
    return out.getvalue()


def test_a_default_name_never_replaces_existing_model_files(
    tmp_path: Path, mnist_splits: Any
) -> None:
    _train(tmp_path)
    (first,) = tmp_path.glob("*.safetensors")
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    out = _train(tmp_path)
    second = tmp_path / f"{first.stem}-2.safetensors"
    assert f"the name {first.stem} is taken" in out
    assert f"naming this model {first.stem}-2" in out
    assert second.is_file()
    assert load_model(second).metadata.name == f"{first.stem}-2"
    assert all((tmp_path / name).read_bytes() == data for name, data in before.items())
    _train(tmp_path)
    assert (tmp_path / f"{first.stem}-3.safetensors").is_file()


def test_a_default_name_never_takes_a_registered_models_name(
    tmp_path: Path, mnist_splits: Any
) -> None:
    # The same run twice (same seed) has the same default name; register the first one's name
    # only, with no files in the output directory, as after a push from elsewhere.
    _train(tmp_path)
    (first,) = tmp_path.glob("*.safetensors")
    for path in tmp_path.iterdir():
        path.unlink()
    RegisteredModel.objects.create(
        name=first.stem, store="local", repo="x", filename=first.name, metadata_filename="x.json"
    )
    out = _train(tmp_path)
    assert f"naming this model {first.stem}-2" in out
    assert not first.exists()
    assert (tmp_path / f"{first.stem}-2.safetensors").is_file()


def test_an_explicit_name_that_exists_is_refused_unless_overwrite(
    tmp_path: Path, mnist_splits: Any
) -> None:
    _train(tmp_path, "--name", "mine")
    before = (tmp_path / "mine.safetensors").read_bytes()
    with pytest.raises(CommandError, match=r"a model named .mine. already exists.*--overwrite"):
        _train(tmp_path, "--name", "mine", "--seed", "4")
    assert (tmp_path / "mine.safetensors").read_bytes() == before
    _train(tmp_path, "--name", "mine", "--seed", "4", "--overwrite")
    assert (tmp_path / "mine.safetensors").read_bytes() != before
    assert load_model(tmp_path / "mine.safetensors").metadata.training["seed"] == 4


WALL_CLOCK = ("created_at", "duration_seconds", "seconds")


def _without_wall_clock(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_wall_clock(v) for k, v in value.items() if k not in WALL_CLOCK}
    if isinstance(value, list):
        return [_without_wall_clock(v) for v in value]
    return value


def test_the_same_seed_writes_the_same_file_bytes(tmp_path: Path, mnist_splits: Any) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _train(first, "--name", "same")
    _train(second, "--name", "same")
    weights = (first / "same.safetensors").read_bytes()
    assert weights == (second / "same.safetensors").read_bytes()
    texts = [(d / "same.json").read_text(encoding="utf-8") for d in (first, second)]
    parsed = [json.loads(text) for text in texts]
    assert _without_wall_clock(parsed[0]) == _without_wall_clock(parsed[1])
    # The key order too, and every line but those of the wall-clock fields.
    lines = [
        [line for line in text.splitlines() if not any(f'"{k}"' in line for k in WALL_CLOCK)]
        for text in texts
    ]
    assert lines[0] == lines[1]
