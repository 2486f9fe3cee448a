"""The "Reading row by row" panel with a REAL recurrent model served by the real API.

Nothing is intercepted: a small LSTM (24 units, then dense10) is trained on part of MNIST for two
epochs (~80 % test accuracy, a few seconds, once per session), registered beside a random MLP, and
the page talks to the live server. What the panel must show is derived from what
`POST /activations` really answered (`step_predictions`, the layer's `recurrent` states).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, Response, expect

from tests.browser.test_demo_page import open_demo
from tests.fixtures.browser import PHONE, PageErrors, PageFactory, assert_accessible
from tests.fixtures.networks import RegisterNetwork, random_network

if TYPE_CHECKING:
    from nn_core.mnist import MnistSplits
    from nn_core.sequential import Sequential

pytestmark = [pytest.mark.browser, pytest.mark.mnist, pytest.mark.django_db(transaction=True)]

LSTM = "tiny-lstm"
MLP = "small-net"
SHOTS = Path("/tmp/rnn-shots")

# Canvas rows painted with something other than the "not read yet" colour (the theme's --track).
PAINTED_ROWS = """(canvas) => {
    const probe = document.createElement("span");
    probe.style.color = "var(--track)";
    document.body.append(probe);
    const track = getComputedStyle(probe).color.match(/\\d+/g).map(Number);
    probe.remove();
    const {width, height} = canvas;
    const data = canvas.getContext("2d").getImageData(0, 0, width, height).data;
    let rows = 0;
    for (let y = 0; y < height; y += 1) {
        for (let x = 0; x < width; x += 1) {
            const i = (y * width + x) * 4;
            if (data[i] !== track[0] || data[i + 1] !== track[1] || data[i + 2] !== track[2]) {
                rows += 1;
                break;
            }
        }
    }
    return rows;
}"""


@pytest.fixture(scope="session")
def trained_lstm(mnist_splits: MnistSplits) -> Sequential:
    """lstm24 → dense10 trained with Adam on 6,000 MNIST images for 2 epochs."""
    from nn_core.hyperparameters import Hyperparameters
    from nn_core.layers import parse_layers
    from nn_core.sequential import Sequential

    network = Sequential(parse_layers("lstm24,dense10"), [784], seed=0)
    train = mnist_splits.train
    settings = Hyperparameters(epochs=2, mini_batch_size=64, learning_rate=0.01, optimizer="adam")
    network.fit((train.images[:6000], train.labels[:6000]), settings)
    return network


@pytest.fixture
def lstm_and_mlp(trained_lstm: Sequential, register_network: RegisterNetwork) -> None:
    """The random MLP as the default model and the trained LSTM beside it."""
    register_network(random_network(seed=1), MLP, default=True, accuracy=11.5)
    register_network(trained_lstm, LSTM, accuracy=80.0)


def activations_of(responses: list[Response], model: str) -> dict[str, Any]:
    """The last `POST /activations` answer the page received for `model`."""
    for response in reversed(responses):
        if response.url.endswith("/activations") and response.ok:
            body: dict[str, Any] = response.json()
            if body["model"] == model:
                return body
    raise AssertionError(f"the page asked no activations of {model}")


def painted_rows(page: Page, selector: str) -> int:
    rows: int = page.locator(selector).evaluate(PAINTED_ROWS)
    return rows


def choose_lstm(page: Page, responses: list[Response]) -> dict[str, Any]:
    page.locator("#model-select").select_option(LSTM)
    expect(page.locator("#recurrent")).to_be_visible()
    expect(page.locator("#recurrent")).to_have_attribute("data-kind", "lstm")
    expect(page.locator("#recurrent-compare li")).to_have_count(1)  # the MLP's answer
    return activations_of(responses, LSTM)


def test_the_panel_reveals_rows_and_follows_the_prediction_row_by_row(
    page: Page, page_errors: PageErrors, live_server: Any, lstm_and_mlp: None
) -> None:
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))
    open_demo(page, live_server.url)
    # The default model is an MLP: no row-by-row panel.
    expect(page.locator("#recurrent")).to_be_hidden()

    body = choose_lstm(page, responses)
    steps = body["step_predictions"]
    layer = body["layer_details"][steps["layer"]]["recurrent"]
    assert layer["shape"] == [28, 24]
    # On arrival every row is read: the whole digit, a full heatmap, the model's final answer.
    expect(page.locator("#recurrent-row-label")).to_have_text("Row 28 of 28")
    assert painted_rows(page, "#recurrent-heatmap") == 28
    final = body["predicted_digit"]
    settled = steps["settled_step"] + 1
    verdict = page.locator("#recurrent-verdict")
    expect(verdict).to_contain_text(f"After row 28 of 28 it says {final}")
    if settled > 1:
        expect(verdict).to_contain_text(f"It knows it is a {final} by row {settled}")
    expect(page.locator("#recurrent-steps li")).to_have_count(28)
    expect(page.locator("#recurrent-steps li.is-settled")).to_have_count(28 - settled + 1)
    expect(page.locator("#recurrent-gates figure")).to_have_count(5)  # i, f, g, o and h
    compare = page.locator("#recurrent-compare")
    expect(compare.locator('li[data-model="small-net"]')).to_be_visible()

    # Scrub with the keyboard: Home is row 1, then four steps right is row 5.
    slider = page.locator("#recurrent-row")
    slider.focus()
    page.keyboard.press("Home")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#recurrent-row-label")).to_have_text("Row 5 of 28")
    assert painted_rows(page, "#recurrent-heatmap") == 5
    assert painted_rows(page, "#recurrent-digit") == 5
    digit, confidence = steps["predicted_digits"][4], steps["confidences"][4]
    expect(verdict).to_contain_text(f"After row 5 of 28 it says {digit} (")
    shown = float(re.search(r"\(([\d.]+)%\)", verdict.inner_text()).group(1))  # type: ignore[union-attr]
    assert shown == pytest.approx(confidence * 100, abs=0.051)
    expect(page.locator("#recurrent-steps li.is-current")).to_have_count(1)
    current = page.locator("#recurrent-steps li").nth(4)
    expect(current).to_have_class(re.compile(r"\bis-current\b"))
    expect(current).to_have_attribute("data-digit", str(digit))
    expect(page.locator("#recurrent-steps li.is-future")).to_have_count(23)
    expect(page.locator("#recurrent-gates-title")).to_have_text("Gates at row 5")

    # Another row, another answer (the text follows step_predictions).
    page.keyboard.press("ArrowRight")
    expect(page.locator("#recurrent-row-label")).to_have_text("Row 6 of 28")
    expect(verdict).to_contain_text(f"After row 6 of 28 it says {steps['predicted_digits'][5]} (")
    assert painted_rows(page, "#recurrent-heatmap") == 6

    # Play runs to the last row by itself (and the button says so).
    play = page.get_by_role("button", name="Play")
    play.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#recurrent-play")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#recurrent")).to_have_attribute("data-row", "28", timeout=15_000)
    expect(page.locator("#recurrent-play")).to_have_attribute("aria-pressed", "false")
    assert painted_rows(page, "#recurrent-heatmap") == 28

    # Back to the MLP: the panel goes away.
    page.locator("#model-select").select_option(MLP)
    expect(page.locator("#recurrent")).to_be_hidden()
    assert page_errors.messages == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_panel_fits_and_is_accessible(
    new_page: PageFactory,
    page_errors: PageErrors,
    live_server: Any,
    lstm_and_mlp: None,
    axe_source: str,
    scheme: str,
    device: str,
) -> None:
    options: dict[str, Any] = {"color_scheme": scheme, "bypass_csp": True}
    page = new_page(PHONE, touch=True, **options) if device == "phone" else new_page(**options)
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))
    open_demo(page, live_server.url)
    choose_lstm(page, responses)
    page.locator("#recurrent-row").fill("12")
    expect(page.locator("#recurrent-row-label")).to_have_text("Row 12 of 28")
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"sideways scroll: {width}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#recurrent").screenshot(path=SHOTS / f"{device}-{scheme}.png")
    assert_accessible(page, axe_source, context="#recurrent")
    assert page_errors.messages == []
