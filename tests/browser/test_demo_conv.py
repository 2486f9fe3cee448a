"""Convolutional layers in the demo page, driven by the shared activations/weights contract.

The server side of conv layers is built in parallel (issue 10), so these tests fulfil
`POST /activations` and `GET /models/{name}/weights` with Playwright route interception: a small
CNN (conv 4×3×3 → ReLU → 2×2 max pool → flatten → dense 10 → softmax) really computed here with
NumPy on the pixels the page sends, shaped exactly as the contract in HELPER_GUIDE.md says.
Everything else (models, samples, predictions) comes from the live server.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.test_demo_page import open_demo
from tests.fixtures.browser import PageErrors, Snapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHANNELS = 4
RNG = np.random.default_rng(7)
KERNELS = RNG.normal(0, 0.6, size=(CHANNELS, 1, 3, 3))
KERNEL_BIASES = RNG.normal(0, 0.1, size=CHANNELS)
DENSE = RNG.normal(0, 0.05, size=(10, CHANNELS * 13 * 13))
DENSE_BIASES = RNG.normal(0, 0.1, size=10)


def cnn_activations(pixels: list[float], model: str) -> dict[str, Any]:
    """The contract's `/activations` body for the small CNN on `pixels`."""
    image = np.asarray(pixels, dtype=np.float64).reshape(28, 28)
    windows = np.lib.stride_tricks.sliding_window_view(image, (3, 3))  # (26, 26, 3, 3)
    conv_pre = np.einsum("yxij,cij->cyx", windows, KERNELS[:, 0]) + KERNEL_BIASES[:, None, None]
    conv = np.maximum(conv_pre, 0)
    pooled = conv.reshape(CHANNELS, 13, 2, 13, 2).max(axis=(2, 4))
    flat = pooled.reshape(-1)
    logits = DENSE @ flat + DENSE_BIASES
    probabilities = np.exp(logits - logits.max())
    probabilities /= probabilities.sum()

    def layer(
        index: int,
        kind: str,
        shape: list[int],
        activation: str | None,
        values: Any,
        pre: Any = None,
        weights_layer: int | None = None,
    ) -> dict[str, Any]:
        flat_values = np.asarray(values, dtype=np.float64).reshape(-1).tolist()
        return {
            "index": index,
            "type": kind,
            "shape": shape,
            "size": len(flat_values),
            "activation": activation,
            "values": flat_values,
            "pre_activations": None if pre is None else np.asarray(pre).reshape(-1).tolist(),
            "weights_layer": weights_layer,
        }

    details = [
        layer(0, "input", [1, 28, 28], "input", image),
        layer(1, "conv2d", [CHANNELS, 26, 26], "relu", conv, conv_pre, 0),
        layer(2, "maxpool2d", [CHANNELS, 13, 13], None, pooled),
        layer(3, "flatten", [CHANNELS * 13 * 13], None, flat),
        layer(4, "dense", [10], "softmax", probabilities, logits, 1),
    ]
    digit = int(probabilities.argmax())
    return {
        "predicted_digit": digit,
        "confidence": float(probabilities[digit]),
        "probabilities": probabilities.tolist(),
        "model": model,
        "layers": [d["values"] for d in details],
        "layer_details": details,
    }


def cnn_weights(model: str, layer: int, neuron: int | None) -> dict[str, Any]:
    """The contract's `/models/{name}/weights` body for layer 0 (conv2d) or 1 (dense)."""
    if layer == 0:
        body: dict[str, Any] = {"model": model, "layer": 0, "type": "conv2d"}
        common = {"image_shape": [3, 3], "kernel_shape": [1, 3, 3]}
        if neuron is None:
            return {
                **body,
                "shape": [CHANNELS, 1, 3, 3],
                "weights": KERNELS.reshape(CHANNELS, -1).tolist(),
                "biases": KERNEL_BIASES.tolist(),
                **common,
            }
        return {
            **body,
            "neuron": neuron,
            "weights": KERNELS[neuron].reshape(-1).tolist(),
            "bias": float(KERNEL_BIASES[neuron]),
            **common,
        }
    body = {"model": model, "layer": 1, "type": "dense", "image_shape": None}
    if neuron is None:
        return {
            **body,
            "shape": list(DENSE.shape),
            "weights": DENSE.tolist(),
            "biases": DENSE_BIASES.tolist(),
        }
    return {
        **body,
        "neuron": neuron,
        "weights": DENSE[neuron].tolist(),
        "bias": float(DENSE_BIASES[neuron]),
    }


class FakeCnn:
    """Route handlers answering for the CNN; records the weights queries the page made."""

    def __init__(self) -> None:
        self.weight_queries: list[dict[str, list[str]]] = []

    def activations(self, route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        payload = cnn_activations(body["pixels"], body.get("model") or "cnn")
        route.fulfill(status=200, content_type="application/json", body=json.dumps(payload))

    def weights(self, route: Route) -> None:
        url = urlparse(route.request.url)
        query = parse_qs(url.query)
        self.weight_queries.append(query)
        model = url.path.split("/")[2]
        neuron = int(query["neuron"][0]) if "neuron" in query else None
        payload = cnn_weights(model, int(query["layer"][0]), neuron)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(payload))

    def install(self, page: Page) -> None:
        page.route(re.compile(r"/activations$"), self.activations)
        page.route(re.compile(r"/models/[^/]+/weights\?"), self.weights)


@pytest.mark.mnist
def test_conv_layers_show_feature_maps_kernels_and_flow(
    page: Page, page_errors: PageErrors, snapshot: Snapshot, live_server: Any, demo_model: Any
) -> None:
    fake = FakeCnn()
    fake.install(page)
    open_demo(page, live_server.url)

    # Input, conv, pool, output: the flatten layer passes values on and is not drawn.
    canvases = page.locator(".layer-canvas")
    expect(canvases).to_have_count(4)
    expect(page.locator('.layer-canvas[data-layer="3"]')).to_have_count(0)
    for index in (1, 2):
        expect(page.locator(f'.layer-canvas[data-layer="{index}"]')).to_have_attribute(
            "data-kind", "maps"
        )
    expect(page.locator('.layer[data-layer="1"] .layer__meta')).to_have_text(
        "4 maps of 26 × 26 · ReLU"
    )
    expect(page.locator('.layer[data-layer="2"] .layer__meta')).to_have_text("4 maps of 13 × 13")
    # The conv layer's kernels, as tiles in the same figure.
    kernels = page.locator('.kernel-canvas[data-layer="1"]')
    expect(kernels).to_be_visible()
    expect(kernels).to_have_attribute("data-kernels", str(CHANNELS))
    # One line per layer, in words.
    explain = page.locator("#layer-explain")
    expect(explain).to_contain_text("Convolution 1")
    expect(explain).to_contain_text("kernels")
    expect(explain).to_contain_text("Max pooling 1")
    expect(explain).to_contain_text("Softmax")
    # The strongest contributions into the dense output, drawn from the pooled maps.
    expect(page.locator("#flow")).to_have_attribute("data-lines", re.compile(r"^[1-9]\d*$"))
    assert page.locator("#flow path.flow__line").count() > 0
    queried = [(q["layer"][0], q.get("neuron", [None])[0]) for q in fake.weight_queries]
    assert ("0", None) in queried
    assert ("1", None) in queried

    # Hovering a feature map names the map and position; the inspector shows its kernel.
    conv = page.locator('.layer-canvas[data-layer="1"]')
    conv.hover(position={"x": 2, "y": 2})
    expect(page.locator("#neuron-tooltip")).to_contain_text("Convolution 1, map 0 at (0, 0)")
    expect(page.locator("#inspector-text")).to_contain_text("Convolution 1, map 0 at (0, 0)")
    expect(page.locator("#weights-explain")).to_contain_text("Map 0's kernel (3 × 3)")
    expect(page.locator("#weights")).to_have_attribute("data-shown", "true")
    assert ("0", "0") in [(q["layer"][0], q.get("neuron", [None])[0]) for q in fake.weight_queries]
    # Arrow keys walk the maps: ArrowDown moves one row down in the same map.
    conv.focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#inspector-text")).to_contain_text("map 0 at (0, 1)")
    snapshot(page, "conv-grids")

    # The neuron view: one circle per feature map.
    page.get_by_role("button", name="Neurons").click()
    expect(page.locator('.neurons__column[data-layer="1"] .neurons__unit')).to_have_count(CHANNELS)
    expect(page.locator('.neurons__column[data-layer="4"] .neurons__unit')).to_have_count(10)
    assert page.locator(".neurons__links path.flow__line").count() > 0
    assert page_errors.messages == []
