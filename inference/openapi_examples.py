"""Example payloads of the inference API's OpenAPI documentation (requests and answers).

Shortened where real answers are long (784 pixels, 100 neurons); `tests/api/test_schema.py`
checks that every operation has examples, and Swagger UI's try-it-out sends the first request
example of each as it is, so those must work against a running server.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image

from api.schema import EXAMPLE_PIXELS
from nn_core.constants import IMAGE_SIDE, INPUT_SIZE, NUM_CLASSES


def _example_image_data_url() -> str:
    """The example digit as a real 28x28 PNG (dark on light) in a `data:` URL, ~200 characters.

    Swagger UI's try-it-out sends the example as it is, so it must decode and predict.
    """
    ink = bytes(round(255 * (1.0 - value)) for value in EXAMPLE_PIXELS)
    buffer = io.BytesIO()
    Image.frombytes("L", (IMAGE_SIDE, IMAGE_SIDE), ink).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


EXAMPLE_IMAGE_DATA_URL = _example_image_data_url()
EXAMPLE_PROBABILITIES = [0.001, 0.981, 0.003, 0.002, 0.001, 0.001, 0.002, 0.004, 0.004, 0.001]
EXAMPLE_MODEL = "mnist-784-100-10-relu"
EXAMPLE_PREDICTION = {
    "predicted_digit": 1,
    "confidence": 0.981,
    "probabilities": EXAMPLE_PROBABILITIES,
}
EXAMPLE_HUB = {
    "store": "hub",
    "repo": "your-name/hippo-mnist",
    "revision": "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b",
    "filename": f"{EXAMPLE_MODEL}.safetensors",
    "url": "https://huggingface.co/your-name/hippo-mnist",
}
EXAMPLE_SUMMARY: dict[str, Any] = {
    "name": EXAMPLE_MODEL,
    "display_name": "784-100-10 ReLU",
    "description": "One hidden layer of 100 ReLU neurons, softmax output.",
    "architecture": "784-100-10",
    "sizes": [INPUT_SIZE, 100, NUM_CLASSES],
    "activation": "relu",
    "output": "softmax",
    "accuracy": 97.8,
    "is_default": True,
    "status": "available",
    "created_at": "2026-11-25T08:00:00+00:00",
    "hub": EXAMPLE_HUB,
}
