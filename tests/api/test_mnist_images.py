"""The image path on real MNIST test digits rendered to 280x280 PNGs in both polarities.

A digit drawn big on a canvas and normalised by `/predict/image` must be recognised about as well
as the original 28x28 digit: the accuracy stays close to the model's own test accuracy.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from nn_core.mnist import MnistSplits
from registry.models import RegisteredModel
from tests.fixtures.networks import TrainedNetwork

pytestmark = [pytest.mark.django_db, pytest.mark.mnist]
SAMPLES = 200


def render(pixels: np.ndarray, *, dark_on_light: bool) -> bytes:
    """One MNIST digit (784 values in 0..1) as a 280x280 grayscale PNG."""
    ink = np.clip(pixels.reshape(28, 28) * 255.0, 0, 255).astype(np.uint8)
    gray = 255 - ink if dark_on_light else ink
    image = Image.fromarray(gray, mode="L").resize((280, 280), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("dark_on_light", [True, False], ids=["dark-on-light", "light-on-dark"])
def test_rendered_digits_are_recognised(
    client: Client,
    mnist_splits: MnistSplits,
    trained_network: TrainedNetwork,
    trained_model: RegisteredModel,
    dark_on_light: bool,
) -> None:
    test = mnist_splits.test
    rng = np.random.default_rng(4)
    indices = rng.choice(len(test.labels), size=SAMPLES, replace=False)
    correct = 0
    for index in indices:
        png = render(test.images[index], dark_on_light=dark_on_light)
        file = SimpleUploadedFile("digit.png", png, content_type="image/png")
        response = client.post("/predict/image", {"image": file})
        assert response.status_code == 200, response.content[:300]
        correct += response.json()["predicted_digit"] == int(test.labels[index])
    accuracy = correct / SAMPLES * 100.0
    direct = trained_network.network.predict(test.images[indices]).digits
    direct_accuracy = float(np.mean(direct == test.labels[indices]) * 100.0)
    assert trained_network.test_accuracy > 90.0
    # Re-normalising costs at most a few points against the same 28x28 digits.
    assert accuracy >= direct_accuracy - 4.0, (accuracy, direct_accuracy)
    assert accuracy >= trained_network.test_accuracy - 5.0, (
        accuracy,
        trained_network.test_accuracy,
    )
