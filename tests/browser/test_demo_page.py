"""The demo page at `/` in headless Chromium against a live server with a trained model:
the first screen, drawing, samples, the keyboard and the phone layout."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.browser import (
    DESKTOP,
    PHONE,
    PageErrors,
    PageFactory,
    Snapshot,
    draw_stroke,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A "7": a bar across the top and a long diagonal down, in 0..1 of the canvas.
SEVEN = [(0.25, 0.2), (0.75, 0.2), (0.7, 0.35), (0.55, 0.6), (0.45, 0.85)]
FRIENDLY_DEEP = "2 hidden layers (64, 32) · ReLU"


def open_demo(page: Page, base_url: str) -> None:
    """Load `/`; wait for the models, the gallery's predictions and the sample shown on arrival."""
    page.goto(f"{base_url}/")
    expect(page.locator("#app")).to_have_attribute("data-state", "ready")
    expect(page.locator(".sample[data-predicted]").first).to_be_visible()
    expect(page.locator("#prediction")).to_have_attribute("data-state", re.compile("correct|wrong"))


def clear_pad(page: Page) -> None:
    """Clear the pad (the sample shown on arrival) and wait for the empty state."""
    page.get_by_role("button", name="Clear").click()
    expect(page.locator("#prediction")).to_have_attribute("data-state", "empty")


def inside_viewport(page: Page, selector: str) -> bool:
    """True when the element's whole box is inside the window (without scrolling)."""
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    assert box is not None
    assert size is not None
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )


@pytest.mark.mnist
def test_the_first_screen_tells_the_story(
    page: Page, page_errors: PageErrors, live_server: Any, demo_model: Any
) -> None:
    open_demo(page, live_server.url)

    expect(page).to_have_title(re.compile("Hippo"))
    # A sample is loaded on arrival: the network view is never empty.
    expect(page.locator("#prediction-source")).to_contain_text("Test sample")
    expect(page.locator(".layer-canvas")).to_have_count(len(demo_model.sizes))
    expect(page.locator("#flow")).to_have_attribute("data-lines", re.compile(r"^[1-9]\d*$"))
    expect(page.locator(".sample[aria-current='true']")).to_have_count(1)
    # Pad, prediction and network view fit one 1366 x 900 laptop screen.
    assert page.viewport_size == {"width": DESKTOP[0], "height": DESKTOP[1]}
    assert page.evaluate("window.scrollY") == 0
    for selector in ("#pad", "#predicted-digit", "#probabilities", "#network-stage", "#inspector"):
        assert inside_viewport(page, selector), f"{selector} is not on the first screen"
    # Friendly names; the Hub location sits behind a details toggle.
    expect(page.locator("#model-select")).to_have_value(demo_model.name)
    expect(page.locator("#model-select option:checked")).to_contain_text(FRIENDLY_DEEP)
    expect(page.locator("#prediction-model")).to_have_text(FRIENDLY_DEEP)
    expect(page.locator("#model-source")).to_have_text("Stored on this server")
    expect(page.locator("#model-source-list")).to_be_hidden()
    page.locator("#model-source").click()
    expect(page.locator("#model-source-list")).to_contain_text(demo_model.revision)
    expect(page.locator("#model-architecture")).to_have_text(
        " → ".join(str(size) for size in demo_model.sizes)
    )
    expect(page.locator("#no-model")).to_be_hidden()
    expect(page.locator("#banner")).to_be_hidden()
    expect(page.locator("#confusion svg.confusion-chart")).to_be_visible()
    expect(page.locator("#curves svg.chart").first).to_be_visible()
    for name in ("API docs", "Admin"):
        expect(page.get_by_role("link", name=name)).to_be_visible()
    assert page_errors.messages == []


@pytest.mark.mnist
def test_drawing_a_stroke_predicts_and_shows_every_layer(
    page: Page, page_errors: PageErrors, snapshot: Snapshot, live_server: Any, demo_model: Any
) -> None:
    open_demo(page, live_server.url)
    # The sample shown on arrival is replaced by the first stroke, not drawn over.
    draw_stroke(page, "#pad", SEVEN)

    expect(page.locator("#prediction")).to_have_attribute("data-state", "done")
    expect(page.locator("#prediction-source")).to_have_text("Your drawing")
    expect(page.locator("#predicted-digit")).to_have_text("7")
    expect(page.locator("#prediction")).to_have_attribute("data-verdict", "confident")
    expect(page.locator("#prediction-model")).to_have_text(FRIENDLY_DEEP)
    expect(page.locator("#prediction-text")).to_contain_text("confidence")
    layers = page.locator(".layer-canvas")
    expect(layers).to_have_count(len(demo_model.sizes))
    # The probability bars add up to 100% (each shown to one decimal, tiny ones as "<0.1%").
    values = page.locator(".probs__value").all_inner_texts()
    assert len(values) == 10
    numbers = [0.0 if v == "<0.1%" else float(v.rstrip("%")) for v in values]
    assert sum(numbers) == pytest.approx(100, abs=1)

    # Hovering a first-layer neuron shows its value and its 28x28 weight map.
    page.locator('.layer-canvas[data-layer="1"]').hover(position={"x": 4, "y": 4})
    expect(page.locator("#neuron-tooltip")).to_contain_text("neuron 0")
    expect(page.locator("#inspector-text")).to_contain_text("Hidden layer 1, neuron 0")
    expect(page.locator("#weights")).to_have_attribute("data-shown", "true")
    snapshot(page, "inspecting")

    # Undo removes the only stroke: back to the empty state; drawing again predicts again.
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#prediction")).to_have_attribute("data-state", "empty")
    expect(layers).to_have_count(0)
    draw_stroke(page, "#pad", SEVEN)
    expect(page.locator("#prediction")).to_have_attribute("data-state", "done")
    expect(layers).to_have_count(len(demo_model.sizes))
    assert page_errors.messages == []


@pytest.mark.mnist
def test_clicking_a_gallery_sample_shows_its_label_and_prediction(
    page: Page, page_errors: PageErrors, snapshot: Snapshot, live_server: Any, demo_model: Any
) -> None:
    open_demo(page, live_server.url)
    sample = page.locator(".sample[data-predicted]").nth(2)
    label = sample.get_attribute("data-label")
    predicted = sample.get_attribute("data-predicted")
    index = sample.get_attribute("data-index")

    sample.click()

    verdict = "correct" if label == predicted else "misclassified"
    expect(page.locator("#prediction-source")).to_have_text(
        f"Test sample {index} · true label {label} — {verdict}"
    )
    # The gallery's batch prediction and the main view's activations agree.
    expect(page.locator("#predicted-digit")).to_have_text(str(predicted))
    expect(page.locator(".layer-canvas")).to_have_count(len(demo_model.sizes))
    expect(sample).to_have_attribute("aria-current", "true")
    snapshot(page, "sample-loaded")

    # Another dataset and count: a new set of samples, predicted by the same model.
    page.get_by_label("Dataset").select_option("validation")
    page.get_by_label("Count").select_option("10")
    expect(page.locator(".sample[data-predicted]")).to_have_count(10)
    expect(page.locator("#gallery-status")).to_contain_text(
        f"10 random validation samples: {FRIENDLY_DEEP} got"
    )
    assert page_errors.messages == []


@pytest.mark.mnist
def test_keyboard_tab_to_a_sample_and_enter_loads_it(
    page: Page, page_errors: PageErrors, live_server: Any, demo_model: Any
) -> None:
    open_demo(page, live_server.url)

    visited: list[str] = []
    for _ in range(60):
        page.keyboard.press("Tab")
        visited.append(page.evaluate("(e => e.id || e.className)(document.activeElement)"))
        if page.evaluate("document.activeElement.classList.contains('sample')"):
            break
    else:
        pytest.fail(f"Tab never reached a gallery sample: {visited}")
    # Focus order follows the story: model, pad tools, network, prediction, then the gallery.
    order = [visited.index(name) for name in ("model-select", "clear", "view-grids")]
    assert order == sorted(order), visited
    label = page.evaluate("document.activeElement.dataset.label")
    page.keyboard.press("Enter")

    expect(page.locator("#prediction-source")).to_contain_text(f"true label {label}")
    expect(page.locator("#predicted-digit")).to_have_text(re.compile(r"^[0-9]$"))

    # A focused layer is explored with the arrow keys: value, and the neuron's weight map.
    page.locator('.layer-canvas[data-layer="1"]').focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#inspector-text")).to_contain_text("Hidden layer 1, neuron 1:")
    expect(page.locator("#weights")).to_have_attribute("data-shown", "true")
    page.keyboard.press("End")
    expect(page.locator("#inspector-text")).to_contain_text(
        f"Hidden layer 1, neuron {demo_model.sizes[1] - 1}:"
    )
    assert page_errors.messages == []


@pytest.mark.mnist
def test_on_a_phone_the_result_stays_visible_while_drawing(
    new_page: PageFactory, page_errors: PageErrors, live_server: Any, demo_model: Any
) -> None:
    page = new_page(PHONE, touch=True)
    open_demo(page, live_server.url)

    # Scrolled to the pad, the prediction card is below the fold; the compact result is not.
    page.locator("#pad").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 200)")
    assert inside_viewport(page, "#pad")
    assert not inside_viewport(page, "#prediction-card")
    mini = page.locator("#mini-result")
    expect(mini).to_be_visible()

    draw_stroke(page, "#pad", SEVEN, pointer="touch")
    expect(page.locator("#pad")).to_have_attribute("data-pointer", "touch")
    expect(page.locator("#prediction")).to_have_attribute("data-state", "done")
    expect(page.locator("#mini-digit")).to_have_text("7")
    expect(page.locator("#mini-text")).to_contain_text("% sure")
    assert inside_viewport(page, "#mini-result")
    assert inside_viewport(page, "#pad")

    # Tapping a sample loads it. Chromium turns a tap that lands while the page is still
    # settling from a scroll into "stop scrolling" (no click), as on a real phone; so scroll the
    # sample into view first and give the page a moment, as a person would.
    sample = page.locator(".sample[data-predicted]").first
    label = sample.get_attribute("data-label")
    sample.scroll_into_view_if_needed()
    page.wait_for_timeout(600)
    sample.tap()
    expect(page.locator("#prediction-source")).to_contain_text(f"true label {label}")

    # Nothing sticks out sideways; the layers stack in one column.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    boxes = [page.locator(f'.layer-canvas[data-layer="{i}"]').bounding_box() for i in (0, 1)]
    assert boxes[0] is not None
    assert boxes[1] is not None
    assert boxes[1]["y"] > boxes[0]["y"] + boxes[0]["height"]
    page.evaluate("window.scrollTo(0, 0)")
    assert page_errors.messages == []
