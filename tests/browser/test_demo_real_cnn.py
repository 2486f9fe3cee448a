"""The demo page showing a REAL convolutional network served by the API, end to end.

`test_demo_conv.py` checks how the page draws conv layers against made-up responses (route
interception). Here nothing is intercepted: a tiny random CNN (conv 3×3×4 → ReLU → 2×2 max pool
→ dense 10) is built with `nn_core`, saved, pushed and registered as the default model through
`tests/fixtures/networks.py`, and the page talks to the live server. The page's requests are only
observed, so the expected drawing is derived from what `POST /activations` and
`GET /models/{name}/weights` really answered (the shared contract in HELPER_GUIDE.md).
"""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from playwright.sync_api import Page, Response, expect

from tests.browser.test_demo_page import open_demo
from tests.fixtures.browser import SCREENSHOT_DIR, PageErrors
from tests.fixtures.networks import RegisterNetwork

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TINY_CNN = "conv3x3x4,pool2,dense10"
CHANNELS = 4
NAME = "tiny-cnn"

# Counts the tiles drawn on a canvas: runs of columns and of rows holding any painted pixel
# delimit the grid of small multiples; a grid cell with painted pixels is one tile.
COUNT_TILES = """(canvas) => {
    const {width, height} = canvas;
    const data = canvas.getContext("2d").getImageData(0, 0, width, height).data;
    const painted = (x, y) => data[(y * width + x) * 4 + 3] > 0;
    const runs = (length, hit) => {
        const found = [];
        let start = -1;
        for (let i = 0; i <= length; i += 1) {
            const on = i < length && hit(i);
            if (on && start < 0) start = i;
            if (!on && start >= 0) { found.push([start, i]); start = -1; }
        }
        return found;
    };
    const column = (x) => { for (let y = 0; y < height; y += 1) if (painted(x, y)) return true; };
    const row = (y) => { for (let x = 0; x < width; x += 1) if (painted(x, y)) return true; };
    const cols = runs(width, (x) => column(x) === true);
    const rows = runs(height, (y) => row(y) === true);
    let tiles = 0;
    for (const [x0, x1] of cols) for (const [y0, y1] of rows) {
        let any = false;
        for (let y = y0; y < y1 && !any; y += 1) {
            for (let x = x0; x < x1 && !any; x += 1) any = painted(x, y);
        }
        if (any) tiles += 1;
    }
    return tiles;
}"""


@pytest.fixture
def tiny_cnn(register_network: RegisterNetwork) -> Any:
    """A random conv3x3x4 → pool2 → dense10 network on 28 × 28 images, the default model."""
    from nn_core.layers import parse_layers
    from nn_core.sequential import Sequential

    network = Sequential(parse_layers(TINY_CNN), [1, 28, 28], seed=3)
    return register_network(network, NAME, default=True, accuracy=10.0)


def last_json(responses: list[Response], pattern: str) -> dict[str, Any]:
    """The body of the last observed response whose URL matches `pattern`."""
    matching = [r for r in responses if re.search(pattern, r.url) and r.ok]
    assert matching, f"the page made no successful request matching {pattern}"
    body: dict[str, Any] = matching[-1].json()
    return body


def test_real_cnn_from_the_api_shows_maps_kernels_and_prediction(
    page: Page, page_errors: PageErrors, live_server: Any, tiny_cnn: Any
) -> None:
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))
    open_demo(page, live_server.url)
    expect(page.locator("#prediction-model")).to_have_attribute("data-model", NAME)
    # The model bar names the layers, not the flattened sizes (784 → 2704 → 10).
    expect(page.locator("#model-architecture")).to_have_text(
        "1x28x28 → conv3x3x4 → pool2 → dense10"
    )

    # What the real API answered for the image shown on arrival.
    activations = last_json(responses, r"/activations$")
    assert activations["model"] == NAME
    details = activations["layer_details"]
    kinds = [d["type"] for d in details]
    assert kinds[:3] == ["input", "conv2d", "maxpool2d"], kinds
    assert kinds[-1] == "dense"
    for detail in details:
        assert len(detail["values"]) == detail["size"] == math.prod(detail["shape"])
    conv, pool = details[1], details[2]
    assert conv["shape"] == [CHANNELS, 26, 26]
    assert pool["shape"] == [CHANNELS, 13, 13]
    assert conv["weights_layer"] == 0
    assert pool["weights_layer"] is None

    # Feature maps of the conv and pool layers: small multiples, one tile per channel.
    for detail in (conv, pool):
        index = detail["index"]
        channels, height, width = detail["shape"]
        canvas = page.locator(f'.layer-canvas[data-layer="{index}"]')
        expect(canvas).to_have_attribute("data-kind", "maps")
        expect(page.locator(f'.layer[data-layer="{index}"] .layer__meta')).to_contain_text(
            f"{channels} maps of {height} × {width}"
        )
        assert canvas.evaluate(COUNT_TILES) == channels

    # The conv layer's kernels, one tile per output channel, from the real weights endpoint.
    kernels = page.locator(f'.kernel-canvas[data-layer="{conv["index"]}"]')
    expect(kernels).to_be_visible()
    expect(kernels).to_have_attribute("data-kernels", str(CHANNELS))
    weights = last_json(responses, rf"/models/{NAME}/weights\?layer={conv['weights_layer']}$")
    assert weights["type"] == "conv2d"
    assert weights["shape"] == [CHANNELS, 1, 3, 3]
    assert [len(row) for row in weights["weights"]] == [9] * CHANNELS
    assert kernels.evaluate(COUNT_TILES) == CHANNELS

    # A prediction and its probability bars, agreeing with the API's answer.
    digit = activations["predicted_digit"]
    expect(page.locator("#predicted-digit")).to_have_text(str(digit))
    rows = page.locator(".probs__row")
    expect(rows).to_have_count(10)
    expect(page.locator(".probs__row.is-best")).to_have_count(1)
    expect(rows.nth(digit)).to_have_class(re.compile(r"\bis-best\b"))
    bar = rows.nth(digit).locator(".probs__bar")
    assert float(bar.evaluate("(el) => el.style.getPropertyValue('--p')")) == pytest.approx(
        activations["probabilities"][digit], abs=1e-6
    )
    box = bar.bounding_box()
    assert box is not None
    assert box["width"] > 0

    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT_DIR / "real-cnn.png", full_page=True)
    assert page_errors.messages == []
