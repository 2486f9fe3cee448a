"""The demo page at `/` in headless Chromium against a live server with a trained model."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.browser import (
    PHONE,
    PageErrors,
    PageFactory,
    Snapshot,
    draw_stroke,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A "7": a bar across the top and a long diagonal down, in 0..1 of the canvas.
SEVEN = [(0.25, 0.2), (0.75, 0.2), (0.7, 0.35), (0.55, 0.6), (0.45, 0.85)]


def open_demo(page: Page, base_url: str) -> None:
    """Load `/` and wait until the model list and the gallery's predictions have arrived."""
    page.goto(f"{base_url}/")
    expect(page.locator("#app")).to_have_attribute("data-state", "ready")
    expect(page.locator(".sample[data-predicted]").first).to_be_visible()


@pytest.mark.mnist
def test_page_loads_without_console_errors(
    page: Page, page_errors: PageErrors, live_server: Any, demo_model: Any
) -> None:
    open_demo(page, live_server.url)

    expect(page).to_have_title(re.compile("Hippo"))
    expect(page.locator("#model-select")).to_have_value(demo_model.name)
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

    draw_stroke(page, "#pad", SEVEN)

    expect(page.locator("#prediction")).to_have_attribute("data-state", "done")
    expect(page.locator("#predicted-digit")).to_have_text(re.compile(r"^[0-9]$"))
    expect(page.locator("#prediction-model")).to_have_text(demo_model.name)
    expect(page.locator("#prediction-text")).to_contain_text("confidence")
    layers = page.locator(".layer-canvas")
    expect(layers).to_have_count(len(demo_model.sizes))
    # The probability bars add up to 100% (each shown to one decimal).
    values = page.locator(".probs__value").all_inner_texts()
    assert len(values) == 10
    assert sum(float(v.rstrip("%")) for v in values) == pytest.approx(100, abs=1)

    # Hovering a first-layer neuron shows its value and its 28x28 weight map.
    page.locator('.layer-canvas[data-layer="1"]').hover(position={"x": 4, "y": 4})
    expect(page.locator("#neuron-tooltip")).to_contain_text("neuron 0")
    expect(page.locator("#inspector-text")).to_contain_text("Hidden layer 1, neuron 0")
    expect(page.locator("#weights")).to_be_visible()
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
        f"10 random validation samples: {demo_model.name} got"
    )
    assert page_errors.messages == []


@pytest.mark.mnist
def test_keyboard_tab_to_a_sample_and_enter_loads_it(
    page: Page, page_errors: PageErrors, live_server: Any, demo_model: Any
) -> None:
    open_demo(page, live_server.url)

    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('sample')"):
            break
    else:
        pytest.fail("Tab never reached a gallery sample")
    label = page.evaluate("document.activeElement.dataset.label")
    page.keyboard.press("Enter")

    expect(page.locator("#prediction-source")).to_contain_text(f"true label {label}")
    expect(page.locator("#predicted-digit")).to_have_text(re.compile(r"^[0-9]$"))

    # A focused layer is explored with the arrow keys: value, and the neuron's weight map.
    page.locator('.layer-canvas[data-layer="1"]').focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#inspector-text")).to_contain_text("Hidden layer 1, neuron 1:")
    expect(page.locator("#weights")).to_be_visible()
    page.keyboard.press("End")
    expect(page.locator("#inspector-text")).to_contain_text(
        f"Hidden layer 1, neuron {demo_model.sizes[1] - 1}:"
    )
    assert page_errors.messages == []


@pytest.mark.mnist
def test_on_a_phone_a_finger_draws_and_the_layout_is_one_column(
    new_page: PageFactory, page_errors: PageErrors, live_server: Any, demo_model: Any
) -> None:
    page = new_page(PHONE, touch=True)
    open_demo(page, live_server.url)

    # Real touch input: the stroke is drawn, and the page predicts it.
    page.locator("#pad").scroll_into_view_if_needed()
    draw_stroke(page, "#pad", SEVEN, pointer="touch")
    expect(page.locator("#pad")).to_have_attribute("data-pointer", "touch")
    expect(page.locator("#prediction")).to_have_attribute("data-state", "done")
    expect(page.locator(".layer-canvas")).to_have_count(len(demo_model.sizes))

    # Tapping a sample loads it. Chromium turns a tap that lands while the page is still
    # settling from a scroll into "stop scrolling" (no click), as on a real phone; so scroll the
    # sample into view first and give the page a moment, as a person would.
    sample = page.locator(".sample[data-predicted]").first
    label = sample.get_attribute("data-label")
    sample.scroll_into_view_if_needed()
    page.wait_for_timeout(600)
    sample.tap()
    expect(page.locator("#prediction-source")).to_contain_text(f"true label {label}")

    # Nothing sticks out sideways, and the prediction sits below the canvas, not beside it.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    pad = page.locator("#pad").bounding_box()
    prediction = page.locator("#prediction-card").bounding_box()
    assert pad is not None
    assert prediction is not None
    assert prediction["y"] >= pad["y"] + pad["height"]
    assert pad["width"] <= PHONE[0]
    page.evaluate("window.scrollTo(0, 0)")
    assert page_errors.messages == []
