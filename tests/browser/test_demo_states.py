"""The demo page's model switching, its error states (no model, MNIST missing, server down) and
the fixes of issue 11's list of bugs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.test_demo_page import (
    FRIENDLY_DEEP,
    SEVEN,
    clear_pad,
    inside_viewport,
    open_demo,
)
from tests.fixtures.browser import PageErrors, Snapshot, draw_stroke

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

API_PATHS = re.compile(r"/(models|predict|activations|mnist/samples)(/|\?|$)")
FRIENDLY_CLASSIC = "1 hidden layer of 30 · sigmoid"


def refuse(route: Route) -> None:
    """Answer like a server that is down."""
    route.abort("connectionrefused")


@pytest.mark.mnist
def test_switching_the_model_reruns_the_input_on_the_new_model(
    page: Page, page_errors: PageErrors, live_server: Any, two_demo_models: Any
) -> None:
    first, second = two_demo_models
    open_demo(page, live_server.url)
    expect(page.locator("#model-select")).to_have_value(first.name)
    draw_stroke(page, "#pad", SEVEN, pointer="pen")
    expect(page.locator("#pad")).to_have_attribute("data-pointer", "pen")
    expect(page.locator("#prediction-model")).to_have_text(FRIENDLY_DEEP)
    expect(page.locator(".layer-canvas")).to_have_count(len(first.sizes))

    page.get_by_label("Model", exact=True).select_option(second.name)

    expect(page.locator("#prediction-model")).to_have_text(FRIENDLY_CLASSIC)
    expect(page.locator("#prediction-model")).to_have_attribute("data-model", second.name)
    expect(page.locator(".layer-canvas")).to_have_count(len(second.sizes))
    expect(page.locator("#model-architecture")).to_have_text(
        " → ".join(str(size) for size in second.sizes)
    )
    expect(page.locator("#gallery-status")).to_contain_text(FRIENDLY_CLASSIC)
    assert page_errors.messages == []


def test_without_a_model_the_page_says_how_to_get_one(
    page: Page, page_errors: PageErrors, live_server: Any
) -> None:
    page.goto(f"{live_server.url}/")

    notice = page.locator("#no-model")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("No model yet")
    expect(notice).to_contain_text("make run")
    expect(notice).to_contain_text("train_mnist")
    expect(page.locator("#pad-wrap")).to_have_class(re.compile("pad--disabled"))
    expect(page.locator("#pad-hint")).to_have_text("Drawing is disabled until a model exists")
    expect(page.locator("#model-select")).to_be_disabled()

    # Drawing is ignored: nothing to undo, nothing predicted.
    draw_stroke(page, "#pad", SEVEN)
    expect(page.get_by_role("button", name="Undo")).to_be_disabled()
    expect(page.locator("#prediction")).to_have_attribute("data-state", "empty")
    assert page_errors.messages == []


def test_mnist_missing_is_explained_and_a_drawn_seven_fills_the_view(
    page: Page,
    page_errors: PageErrors,
    live_server: Any,
    registered_model: Any,
    mnist_missing: Any,
) -> None:
    response = page.goto(f"{live_server.url}/")
    assert response is not None
    assert response.ok

    status = page.locator("#gallery-status")
    expect(status).to_have_attribute("data-kind", "error")
    expect(status).to_contain_text("MNIST is missing")
    expect(status).to_contain_text("HIPPO_MNIST_DIR")
    expect(status).to_contain_text("fetch_mnist")
    expect(page.locator(".sample")).to_have_count(0)
    # No samples to show on arrival: the page draws a 7 itself, so the network is never empty.
    expect(page.locator("#prediction")).to_have_attribute("data-state", "done")
    expect(page.locator(".layer-canvas")).to_have_count(len(registered_model.sizes))
    # The rest of the page still works: drawing predicts with the registered model.
    draw_stroke(page, "#pad", SEVEN)
    expect(page.locator("#prediction")).to_have_attribute("data-state", "done")
    # Chromium logs every failed response; the 503 of /mnist/samples is the only error allowed.
    assert [m for m in page_errors.messages if "status of 503" not in m] == []


def test_unreachable_server_offers_a_retry_that_recovers(
    page: Page,
    page_errors: PageErrors,
    snapshot: Snapshot,
    live_server: Any,
    registered_model: Any,
) -> None:
    page.route(API_PATHS, refuse)
    page.goto(f"{live_server.url}/")

    banner = page.locator("#banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Server unreachable")
    expect(page.locator("#pad-wrap")).to_have_class(re.compile("pad--disabled"))
    expect(page.locator("#gallery-status")).to_contain_text("Server unreachable")
    snapshot(page, "unreachable")

    page.unroute(API_PATHS, refuse)
    page.get_by_role("button", name="Retry").click()

    expect(banner).to_be_hidden()
    expect(page.locator("#app")).to_have_attribute("data-state", "ready")
    expect(page.locator("#model-select")).to_have_value(registered_model.name)
    expect(page.locator("#pad-wrap")).not_to_have_class(re.compile("pad--disabled"))
    # The refused requests are logged by Chromium; the page itself raised nothing.
    assert [m for m in page_errors.messages if "ERR_CONNECTION_REFUSED" not in m] == []


@pytest.mark.mnist
def test_an_outage_while_drawing_is_visible_and_names_the_right_model(
    page: Page, page_errors: PageErrors, snapshot: Snapshot, live_server: Any, two_demo_models: Any
) -> None:
    _first, second = two_demo_models
    open_demo(page, live_server.url)
    # Scrolled so that the top of the page (where the banner would sit) is off screen.
    page.evaluate("window.scrollTo(0, 150)")
    assert inside_viewport(page, "#pad")
    page.route(API_PATHS, refuse)

    draw_stroke(page, "#pad", SEVEN)

    # The banner is sticky: on screen while the pad is, and the headline says what happened.
    expect(page.locator("#banner")).to_be_visible()
    assert inside_viewport(page, "#banner")
    expect(page.locator("#prediction")).to_have_attribute("data-state", "error")
    expect(page.locator("#prediction-text")).to_contain_text("No answer from")
    expect(page.locator("#prediction-text")).to_contain_text("Server unreachable")
    expect(page.locator("#predicted-digit")).to_have_text("\u2013")  # an en dash: no digit
    snapshot(page, "outage-while-drawing")

    # Switching the model during the outage: the card names the model that was asked.
    page.get_by_label("Model", exact=True).select_option(second.name)
    expect(page.locator("#prediction-model")).to_have_text(FRIENDLY_CLASSIC)
    expect(page.locator("#prediction-text")).to_contain_text(f"No answer from {FRIENDLY_CLASSIC}")
    assert [m for m in page_errors.messages if "ERR_CONNECTION_REFUSED" not in m] == []


@pytest.mark.mnist
def test_a_failed_gallery_refresh_keeps_the_tiles(
    page: Page, page_errors: PageErrors, live_server: Any, demo_model: Any
) -> None:
    open_demo(page, live_server.url)
    before = page.locator(".sample").evaluate_all("(tiles) => tiles.map((t) => t.dataset.index)")
    page.route(re.compile(r"/mnist/samples"), refuse)

    page.get_by_role("button", name="New samples").click()

    expect(page.locator("#gallery-status")).to_contain_text("Samples could not be loaded")
    expect(page.locator("#gallery-status")).to_contain_text("previous ones")
    after = page.locator(".sample").evaluate_all("(tiles) => tiles.map((t) => t.dataset.index)")
    assert after == before
    assert len(after) == 20
    assert [m for m in page_errors.messages if "ERR_CONNECTION_REFUSED" not in m] == []


@pytest.mark.mnist
def test_fixed_bugs_tooltip_outline_inspector_and_tiny_bars(
    page: Page, page_errors: PageErrors, live_server: Any, demo_model: Any
) -> None:
    open_demo(page, live_server.url)
    inspector = page.locator("#inspector")
    height = inspector.bounding_box()["height"]  # type: ignore[index]

    # The inspector keeps its height when a weight map appears.
    page.locator('.layer-canvas[data-layer="1"]').hover(position={"x": 4, "y": 4})
    expect(page.locator("#weights")).to_have_attribute("data-shown", "true")
    assert inspector.bounding_box()["height"] == height  # type: ignore[index]

    # The tooltip goes away when the page scrolls.
    expect(page.locator("#neuron-tooltip")).to_be_visible()
    page.mouse.wheel(0, 400)
    expect(page.locator("#neuron-tooltip")).to_be_hidden()
    page.evaluate("window.scrollTo(0, 0)")

    # An output neuron's outline goes when the pointer leaves it.
    output = page.locator(f'.layer-canvas[data-layer="{len(demo_model.sizes) - 1}"]')
    box = output.bounding_box()
    assert box is not None
    pixel = """(canvas) => Array.from(canvas.getContext('2d').getImageData(23, 1, 1, 1).data)"""
    plain = output.evaluate(pixel)
    output.hover(position={"x": 30, "y": 4})
    expect(page.locator("#inspector-text")).to_contain_text("digit 0")
    assert output.evaluate(pixel) != plain
    page.mouse.move(box["x"] - 200, box["y"] + 400)
    expect(page.locator("#neuron-tooltip")).to_be_hidden()
    assert output.evaluate(pixel) == plain

    # Bars under 0.5 % draw nothing (not a sliver).
    rows = page.locator(".probs__row")
    for i in range(10):
        value = rows.nth(i).locator(".probs__value").inner_text()
        number = 0.0 if value == "<0.1%" else float(value.rstrip("%"))
        bar = rows.nth(i).locator(".probs__bar")
        visible = bar.evaluate("(b) => getComputedStyle(b).visibility") == "visible"
        assert visible == (number >= 0.5), (i, value)
    assert page_errors.messages == []


@pytest.mark.mnist
def test_clear_then_draw_starts_fresh(
    page: Page, page_errors: PageErrors, live_server: Any, demo_model: Any
) -> None:
    open_demo(page, live_server.url)
    clear_pad(page)
    expect(page.locator(".layer-canvas")).to_have_count(0)
    expect(page.locator("#layers .empty-state")).to_be_visible()
    draw_stroke(page, "#pad", SEVEN)
    expect(page.locator("#prediction")).to_have_attribute("data-state", "done")
    assert page_errors.messages == []
