"""NeuralNetwork.train (the original Hippo's API) and fit: reports, determinism, divergence."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from nn_core.divergence import learning_rate_advice
from nn_core.hyperparameters import HyperparameterError, Hyperparameters
from nn_core.network import EpochReport, NeuralNetwork, TrainingDiverged
from nn_core.optimizers import LEARNING_RATE_RANGES, learning_rate_range
from tests.nn_core.synthetic_data import prototypes_problem


def seed_format(X: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Nielsen's training data: (x (n_in, 1), one-hot y (10, 1)) pairs."""
    return [
        (x.reshape(-1, 1), np.eye(10, dtype=np.float32)[label].reshape(10, 1))
        for x, label in zip(X, y, strict=True)
    ]


def test_the_seed_example_runs_and_prints_its_epoch_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    X, y = prototypes_problem(200, seed=1)
    Xt, yt = prototypes_problem(50, seed=2)
    training_data = seed_format(X, y)
    test_data = [(x.reshape(-1, 1), int(label)) for x, label in zip(Xt, yt, strict=True)]
    network = NeuralNetwork([784, 30, 10], "sigmoid", "sigmoid", "quadratic", seed=0)
    reports = network.train(
        training_data=training_data,
        epochs=3,
        mini_batch_size=10,
        learning_rate=3.0,
        test_data=test_data,
    )
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["Epoch 1", "Epoch 2", "Epoch 3"]
    correct = int(lines[-1].split(": ")[1].split(" / ")[0])
    assert lines[-1].endswith(" / 50")
    assert correct == network.evaluate(test_data) >= 45
    # Without validation data, the reports score the test data (as the original Hippo's lines do).
    assert reports[-1].validation_accuracy == pytest.approx(100 * correct / 50)


def test_quiet_without_test_data_when_not_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = prototypes_problem(20, n_in=16, seed=1)
    NeuralNetwork([16, 10], seed=0).train((X, y), 2, 10, 0.1, verbose=False)
    NeuralNetwork([16, 10], seed=0).train((X, y), 1, 10, 0.1)
    assert capsys.readouterr().out == "Epoch 1 complete\n"


def test_reports_and_callbacks(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = prototypes_problem(95, n_in=32, seed=1)
    Xv, yv = prototypes_problem(40, n_in=32, seed=2)
    batches: list[tuple[int, int]] = []
    seen: list[EpochReport] = []
    network = NeuralNetwork([32, 12, 10], seed=0)
    reports = network.train(
        (X, y),
        3,
        10,
        0.3,
        test_data=(Xv, yv),
        validation_data=(Xv, yv),
        on_batch=lambda done, total: batches.append((done, total)),
        on_epoch=seen.append,
    )
    assert capsys.readouterr().out == ""  # on_epoch replaces the printed lines
    assert reports == seen
    assert [r.epoch for r in reports] == [1, 2, 3]
    assert batches == [(k, 10) for k in range(1, 11)] * 3  # 95 samples: 9 batches of 10 + 5
    last = reports[-1]
    assert last.learning_rate == 0.3
    assert last.seconds > 0
    assert last.validation_accuracy == pytest.approx(100 * network.evaluate((Xv, yv)) / 40)
    assert last.validation_loss == pytest.approx(network.loss(Xv, yv), rel=1e-5)
    assert reports[-1].train_loss < reports[0].train_loss


def test_on_epoch_returning_false_stops_training() -> None:
    X, y = prototypes_problem(20, n_in=16, seed=1)
    reports = NeuralNetwork([16, 10], seed=0).train(
        (X, y), 10, 10, 0.1, on_epoch=lambda report: report.epoch < 2
    )
    assert [r.epoch for r in reports] == [1, 2]
    assert reports[0].validation_accuracy is None
    assert reports[0].validation_loss is None


def test_training_is_deterministic_under_a_seed() -> None:
    X, y = prototypes_problem(120, n_in=64, seed=1)

    def run(seed: int) -> NeuralNetwork:
        network = NeuralNetwork([64, 20, 10], "leaky_relu", seed=seed)
        network.train((X, y), 3, 16, 0.01, optimizer="adam", l2=1e-4, verbose=False)
        return network

    first, second, other = run(5), run(5), run(6)
    for a, b in zip(first.weights + first.biases, second.weights + second.biases, strict=True):
        assert a.tobytes() == b.tobytes()
    assert first.weights[0].tobytes() != other.weights[0].tobytes()


def test_parameters_stay_float32_and_arrays_are_updated_in_place() -> None:
    X, y = prototypes_problem(30, n_in=16, seed=1)
    network = NeuralNetwork([16, 8, 10], seed=0)
    before = network.weights[0].copy()
    network.train((X.astype(np.float64), y), 1, 10, 0.5, optimizer="momentum", verbose=False)
    assert all(p.dtype == np.float32 for p in network.weights + network.biases)
    assert not np.array_equal(before, network.weights[0])


def test_l2_shrinks_the_weights() -> None:
    X, y = prototypes_problem(100, n_in=32, seed=1)
    plain, decayed = NeuralNetwork([32, 16, 10], seed=0), NeuralNetwork([32, 16, 10], seed=0)
    plain.train((X, y), 5, 10, 0.1, verbose=False)
    decayed.train((X, y), 5, 10, 0.1, l2=0.05, verbose=False)
    assert np.linalg.norm(decayed.weights[0]) < 0.9 * np.linalg.norm(plain.weights[0])


@dataclass(frozen=True)
class SplitLike:
    images: np.ndarray
    labels: np.ndarray


def test_objects_with_images_and_labels_are_accepted() -> None:
    X, y = prototypes_problem(30, n_in=16, seed=1)
    network = NeuralNetwork([16, 10], seed=0)
    reports = network.train(SplitLike(X, y), 1, 10, 0.1, validation_data=SplitLike(X, y))
    assert reports[0].validation_accuracy is not None
    assert network.evaluate(SplitLike(X, y)) == network.evaluate((X, y))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mini_batch_size": 0}, "mini_batch_size"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"l2": -1.0}, "l2"),
        ({"optimizer": "rmsprop"}, "optimizer must be one of sgd, momentum, adam"),
        ({"schedule": "linear"}, "schedule must be one of constant, step, cosine"),
    ],
)
def test_invalid_arguments_are_refused_before_training(kwargs: dict, message: str) -> None:
    X, y = prototypes_problem(20, n_in=16, seed=1)
    arguments = {"epochs": 1, "mini_batch_size": 10, "learning_rate": 0.1, **kwargs}
    with pytest.raises(ValueError, match=message):
        NeuralNetwork([16, 10]).train((X, y), **arguments)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ((np.zeros((5, 16)), np.zeros(4, dtype=int)), "5 inputs but 4 labels"),
        ((np.zeros((5, 15)), np.zeros(5, dtype=int)), r"\(n, 16\)"),
        ((np.zeros((5, 16)), np.full(5, 10)), "0 … 9"),
        ((np.full((5, 16), np.nan), np.zeros(5, dtype=int)), "NaN"),
        ([], "empty"),
    ],
)
def test_malformed_data_is_refused(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NeuralNetwork([16, 10]).train(data, 1, 10, 0.1)  # type: ignore[arg-type]


def test_exploding_loss_raises_with_a_helpful_message_and_restores_parameters() -> None:
    X, y = prototypes_problem(200, n_in=20, seed=1)
    network = NeuralNetwork([20, 16, 3 + 7], "leaky_relu", seed=1)
    initial = [p.copy() for p in network.weights + network.biases]
    with pytest.raises(TrainingDiverged) as caught:
        network.train((X, y), 5, 10, 1e4, verbose=False)
    error = caught.value
    message = str(error)
    assert isinstance(error, RuntimeError)
    assert error.epoch == 1
    assert "NaN" in message or "infinite" in message
    assert "learning rate 10000 is probably too high" in message
    assert "try a learning rate of 0.5 (sgd trains well with 0.01 to 0.5)" in message
    assert "adam" in message
    restored = network.weights + network.biases
    assert all(np.isfinite(p).all() for p in restored)
    assert all(np.array_equal(a, b) for a, b in zip(initial, restored, strict=True))


def test_a_dead_relu_network_is_reported_as_diverged() -> None:
    X, y = prototypes_problem(400, n_in=50, seed=1)
    network = NeuralNetwork([50, 16, 10], "relu", seed=1)
    initial = [p.copy() for p in network.weights]
    with pytest.raises(TrainingDiverged, match="stopped learning") as caught:
        network.train((X, y), 20, 10, 1e4, verbose=False)
    assert "relu units are dead" in str(caught.value)
    assert "restored to their values at the start of epoch 1" in str(caught.value)
    assert all(np.array_equal(a, b) for a, b in zip(initial, network.weights, strict=True))


def test_a_network_that_fits_its_data_is_not_mistaken_for_a_dead_one() -> None:
    # Saturated sigmoid outputs that are exactly right: zero gradient, but also zero loss.
    X = np.tile(np.eye(3, dtype=np.float32), (40, 1))
    y = np.tile(np.arange(3), 40)
    weights = [100 * np.eye(3, dtype=np.float32)]
    biases = [np.full(3, -50, dtype=np.float32)]
    network = NeuralNetwork.from_parameters([3, 3], weights, biases, "relu", "sigmoid", "quadratic")
    assert network.loss(X, y) == 0.0
    reports = network.train((X, y), 30, 2, 1.0, verbose=False)  # 60 batches each epoch
    assert len(reports) == 30
    assert network.evaluate((X, y)) == 120


def test_learns_a_separable_784_dimensional_problem_in_two_epochs() -> None:
    # How fast is bench/train_speed.py's business; here: how few epochs it takes.
    X, y = prototypes_problem(3000, noise=0.9, seed=1)
    Xt, yt = prototypes_problem(1000, noise=0.9, seed=2)
    network = NeuralNetwork([784, 32, 10], seed=0)
    reports = network.train((X, y), 2, 10, 0.1, validation_data=(Xt, yt), verbose=False)
    assert reports[-1].validation_accuracy is not None
    assert reports[-1].validation_accuracy >= 97.0


@pytest.mark.mnist
def test_learns_real_digits_from_a_small_mnist_subset(mnist_splits: Any) -> None:
    train, validation = mnist_splits.train, mnist_splits.validation
    network = NeuralNetwork([784, 100, 10], seed=0)
    reports = network.train(
        (train.images[:10_000], train.labels[:10_000]),
        2,
        10,
        0.1,
        validation_data=(validation.images[:2_000], validation.labels[:2_000]),
        verbose=False,
    )
    assert reports[-1].validation_accuracy is not None
    assert reports[-1].validation_accuracy >= 93.0


@pytest.mark.mnist
def test_the_seed_configuration_learns_mnist(mnist_splits: Any) -> None:
    # Nielsen's 784-30-10 sigmoid network with the quadratic cost and η = 3.0.
    train, test = mnist_splits.train, mnist_splits.test
    network = NeuralNetwork([784, 30, 10], "sigmoid", "sigmoid", "quadratic", seed=0)
    network.train((train.images[:10_000], train.labels[:10_000]), 1, 10, 3.0, verbose=False)
    assert network.evaluate((test.images[:2_000], test.labels[:2_000])) >= 0.85 * 2_000


@pytest.mark.parametrize(
    ("optimizer", "activation", "rate", "advice"),
    [
        # The advice the original message gave for momentum (0.3) trains badly; the documented
        # range of each optimizer bounds the suggestion instead.
        (
            "momentum",
            "relu",
            3.0,
            "try a learning rate of 0.1 (momentum trains well with 0.01 to 0.1)",
        ),
        ("momentum", "relu", 0.1, "try a learning rate of 0.01 (momentum"),
        (
            "adam",
            "relu",
            0.5,
            "try a learning rate of 0.002 (adam trains well with 0.0005 to 0.002)",
        ),
        ("sgd", "sigmoid", 100.0, "try a learning rate of 3 (sgd trains well with 0.1 to 3)"),
        ("sgd", "relu", 3.0, "try a learning rate of 0.3 (sgd trains well with 0.01 to 0.5)"),
        # Already below the range: still a tenth, never a higher rate than the one that failed.
        ("adam", "relu", 0.0001, "try a learning rate of 1e-05 (adam"),
    ],
)
def test_divergence_advice_comes_from_the_documented_range(
    optimizer: str, activation: str, rate: float, advice: str
) -> None:
    text = learning_rate_advice(optimizer, activation, rate)
    assert text.startswith(advice)
    assert ("or the adam optimizer" in text) is (optimizer != "adam")
    documented = learning_rate_range(optimizer, activation)
    assert documented == LEARNING_RATE_RANGES[optimizer].get(
        activation, LEARNING_RATE_RANGES[optimizer]["*"]
    )


def test_a_diverging_momentum_run_is_advised_a_rate_in_momentums_range() -> None:
    X, y = prototypes_problem(200, n_in=20, seed=1)
    network = NeuralNetwork([20, 16, 10], "relu", seed=1)
    with pytest.raises(TrainingDiverged) as caught:
        network.train((X, y), 5, 10, 1e4, optimizer="momentum", verbose=False)
    assert "0.3 or lower" not in str(caught.value)
    assert "momentum trains well with 0.01 to 0.1" in str(caught.value)


@pytest.mark.parametrize("method", ["loss", "score"])
def test_loss_and_score_of_no_samples_are_a_clear_value_error(method: str) -> None:
    network = NeuralNetwork([16, 10], seed=0)
    X = np.zeros((0, 16), dtype=np.float32)
    y = np.zeros(0, dtype=np.int64)
    with pytest.raises(ValueError, match="no samples"):
        getattr(network, method)(X, y)


def test_train_builds_the_hyperparameter_object_that_fit_takes() -> None:
    X, y = prototypes_problem(120, n_in=16, seed=3)
    by_arguments = NeuralNetwork([16, 8, 10], seed=5)
    by_object = NeuralNetwork([16, 8, 10], seed=5)
    by_arguments.train((X, y), 3, 10, 0.05, optimizer="momentum", l2=1e-4, verbose=False)
    options = Hyperparameters(epochs=3, mini_batch_size=10, learning_rate=0.05, l2=1e-4)
    by_object.fit((X, y), dataclasses.replace(options, schedule="constant"))
    for a, b in zip(by_arguments.weights, by_object.weights, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(HyperparameterError) as caught:
        by_object.fit((X, y), dataclasses.replace(options, mini_batch_size=0))
    assert caught.value.field == "mini_batch_size"
