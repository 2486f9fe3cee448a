"""Models for the demo page's browser tests: small networks really trained on MNIST.

The page draws the selected model's learning curves and confusion matrix, so these fixtures record
what a real training run records (one history entry per epoch, the test set's confusion matrix and
per-class accuracy) instead of the placeholder metrics of `tests/fixtures/networks.py`. Training
both networks takes about a second; it happens once per session.

The browser tests also get their own `live_server`, which hands requests to Django one at a time.
The test database is an in-memory SQLite database, and Django's live server shares that one
connection with every request thread; the page makes many requests at once (weights of every
layer, every model's answer, the gallery), and two threads using one sqlite3 connection at the
same moment fail with "bad parameter or other API misuse". That is a limit of the test database,
not of the service (a file database gives each thread its own connection, gunicorn uses processes).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.http.response import HttpResponseBase
from pytest_django.live_server_helper import LiveServer

from nn_core.model_files import ModelMetadata, save_model
from nn_core.network import NeuralNetwork

if TYPE_CHECKING:
    from nn_core.mnist import MnistSplits
    from registry.models import RegisteredModel
    from registry.stores import LocalStore


@dataclass(frozen=True)
class DemoNetwork:
    """A trained network with the metadata a training run writes beside it."""

    network: NeuralNetwork
    metadata: ModelMetadata


@dataclass(frozen=True)
class Recipe:
    """How one demo network is trained."""

    name: str
    sizes: tuple[int, ...]
    activation: str
    epochs: int
    learning_rate: float


# Two hidden layers, so the page shows a deeper network; and Nielsen's classic sigmoid network.
DEEP = Recipe("mnist-784-64-32-10-relu", (784, 64, 32, 10), "relu", 6, 0.004)
CLASSIC = Recipe("mnist-784-30-10-sigmoid", (784, 30, 10), "sigmoid", 5, 0.01)
TRAIN_SUBSET = 15_000
BATCH = 100


def train_demo_network(recipe: Recipe, splits: MnistSplits) -> DemoNetwork:
    """Train `recipe` on part of MNIST's training split and evaluate it on the test split."""
    network = NeuralNetwork(list(recipe.sizes), activation=recipe.activation, seed=0)
    train, validation, test = splits.train, splits.validation, splits.test
    reports = network.train(
        (train.images[:TRAIN_SUBSET], train.labels[:TRAIN_SUBSET]),
        epochs=recipe.epochs,
        mini_batch_size=BATCH,
        learning_rate=recipe.learning_rate,
        optimizer="adam",
        validation_data=(validation.images, validation.labels),
        verbose=False,
    )
    digits = network.predict(test.images).digits
    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (test.labels, digits), 1)
    per_class = confusion.diagonal() / confusion.sum(axis=1) * 100.0
    accuracy = float(np.mean(digits == test.labels) * 100.0)
    metadata = ModelMetadata(
        name=recipe.name,
        sizes=list(recipe.sizes),
        activation=recipe.activation,
        output=network.output,
        cost=network.cost,
        dtype=str(network.dtype),
        metrics={
            "test_accuracy": round(accuracy, 2),
            "validation_accuracy": reports[-1].validation_accuracy,
            "test_loss": network.loss(test.images, test.labels),
            "per_class_accuracy": [round(float(v), 2) for v in per_class],
            "confusion_matrix": confusion.tolist(),
        },
        training={
            "config": {
                "epochs": recipe.epochs,
                "mini_batch_size": BATCH,
                "learning_rate": recipe.learning_rate,
                "optimizer": "adam",
            },
            "history": [dataclasses.asdict(report) for report in reports],
            "seed": 0,
        },
        description=f"{recipe.activation} network trained for the browser tests.",
    )
    return DemoNetwork(network, metadata)


@pytest.fixture(scope="session")
def demo_networks(mnist_splits: MnistSplits) -> dict[str, DemoNetwork]:
    """Both demo networks, trained once per session (needs MNIST)."""
    return {recipe.name: train_demo_network(recipe, mnist_splits) for recipe in (DEEP, CLASSIC)}


def register(demo: DemoNetwork, store: LocalStore, folder: Path, default: bool) -> RegisteredModel:
    """Save `demo` as model files, push them to `store` and register them (as the default)."""
    from registry.services import make_default, push_model

    folder.mkdir(exist_ok=True)
    weights = folder / f"{demo.metadata.name}.safetensors"
    save_model(demo.network, weights, demo.metadata)
    entry = push_model(weights, store=store)
    if default:
        make_default(entry)
        entry.refresh_from_db()
    return entry


@pytest.fixture
def demo_model(
    demo_networks: dict[str, DemoNetwork], model_store: LocalStore, tmp_path: Path, db: Any
) -> RegisteredModel:
    """The two-hidden-layer network registered as the default model."""
    return register(demo_networks[DEEP.name], model_store, tmp_path / "models", default=True)


@pytest.fixture
def two_demo_models(
    demo_networks: dict[str, DemoNetwork], model_store: LocalStore, tmp_path: Path, db: Any
) -> tuple[RegisteredModel, RegisteredModel]:
    """`(deep, classic)`: both networks registered, the deep one as the default."""
    folder = tmp_path / "models"
    deep = register(demo_networks[DEEP.name], model_store, folder, default=True)
    classic = register(demo_networks[CLASSIC.name], model_store, folder, default=False)
    return deep, classic


class OneAtATimeHandler(StaticFilesHandler):
    """Django's live-server application, serving one request at a time (see the module doc)."""

    lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> HttpResponseBase:
        with self.lock:
            return super().__call__(environ, start_response)


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """pytest-django's live server, with requests serialised by `OneAtATimeHandler`."""
    addr = request.config.getvalue("liveserver") or "localhost"
    server = LiveServer(addr, start=False)
    server.thread.static_handler = OneAtATimeHandler
    server.start()
    yield server
    server.stop()
