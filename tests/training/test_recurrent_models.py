"""A recurrent model end to end: ``train_mnist --arch lstm`` → files → push → sync → card, API.

Real MNIST (2,000 training images, one epoch), the real local store, the Django test client.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.test import Client
from huggingface_hub import ModelCard

from nn_core.layers.recurrent import LSTM
from nn_core.model_files import load_model
from nn_core.training_loop import limit_blas_threads
from registry import services
from registry.models import RegisteredModel
from registry.stores import LocalStore
from training.services import ARCH_RECIPES

# Seconds of CPU, but minutes of wall time on a busy machine: slow, with a generous timeout.
pytestmark = [
    pytest.mark.mnist,
    pytest.mark.django_db,
    pytest.mark.slow,
    pytest.mark.timeout(900),
]


def test_an_lstm_is_trained_written_registered_listed_and_served(
    tmp_path: Path, mnist_splits: Any, model_store: LocalStore, client: Client
) -> None:
    out = io.StringIO()
    call_command(
        "train_mnist", "--arch", "lstm", "--limit-train", "2000", "--epochs", "1",
        "--seed", "3", "--output", str(tmp_path / "out"), stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    # No "relu": the LSTM network has no hidden activation layer.
    assert "training lstm128-dense10 softmax, augmented, cross_entropy, adam" in out.getvalue()
    assert "gradients clipped to norm 5" in out.getvalue()
    (weights,) = (tmp_path / "out").glob("*.safetensors")

    loaded = load_model(weights)
    meta = loaded.metadata
    assert meta.input_shape == [784]
    assert meta.description.startswith("lstm128-dense10 network trained on MNIST with augmentation")
    assert [spec["type"] for spec in meta.layers] == ["sequence", "lstm", "dense"]
    assert any(isinstance(layer, LSTM) for layer in loaded.network.layers)
    config = meta.training["config"]
    recipe = ARCH_RECIPES["lstm"]
    assert config["clip_norm"] == recipe["clip_norm"]
    assert (config["optimizer"], config["mini_batch_size"]) == ("adam", recipe["mini_batch_size"])
    assert config["epochs"] == 1
    (epoch,) = meta.training["history"]
    assert epoch["gradient_norm"] > 0
    assert 0 <= epoch["clipped_fraction"] <= 1
    test = mnist_splits.test
    with limit_blas_threads(1):  # small per-step products: one thread (see training.run)
        digits = loaded.network.predict(test.images).digits
    assert meta.metrics["test_accuracy"] == pytest.approx(100.0 * np.mean(digits == test.labels))
    assert meta.metrics["test_accuracy"] > 30  # 16 augmented mini-batches; chance is 10 %

    entry = services.push_model(weights, store=model_store)
    assert entry.architecture == "784-lstm128-dense10"
    RegisteredModel.objects.all().delete()
    services.sync_models()
    synced = RegisteredModel.objects.get(name=weights.stem)
    assert synced.architecture == "784-lstm128-dense10"
    assert synced.layers == meta.layers
    readme = model_store.fetch("README.md", synced.revision)
    assert f"| `{weights.stem}` | 784-lstm128-dense10 |" in ModelCard.load(readme).text

    listed = {model["name"]: model for model in client.get("/models").json()["models"]}
    assert listed[weights.stem]["architecture"] == "784-lstm128-dense10"

    pixels = test.images[:3]
    response = client.post(
        "/predict",
        data=json.dumps({"batch": pixels.tolist(), "model": weights.stem}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    expected = loaded.network.predict(pixels).probabilities
    served = np.asarray([row["probabilities"] for row in body["predictions"]])
    np.testing.assert_allclose(served, expected, rtol=1e-5, atol=1e-7)
