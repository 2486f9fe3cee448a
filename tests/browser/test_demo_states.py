"""The demo page's model switching and its error states (no model, MNIST missing, server down)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.test_demo_page import SEVEN, open_demo
from tests.fixtures.browser import PageErrors, Snapshot, draw_stroke

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

API_PATHS = re.compile(r"/(models|predict|activations|mnist/samples)(/|\?|$)")


@pytest.mark.mnist
def test_switching_the_model_reruns_the_input_on_the_new_model(
    page: Page, page_errors: PageErrors, live_server: Any, two_demo_models: Any
) -> None:
    first, second = two_demo_models
    open_demo(page, live_server.url)
    expect(page.locator("#model-select")).to_have_value(first.name)
    draw_stroke(page, "#pad", SEVEN, pointer="pen")
    expect(page.locator("#pad")).to_have_attribute("data-pointer", "pen")
    expect(page.locator("#prediction-model")).to_have_text(first.name)
    expect(page.locator(".layer-canvas")).to_have_count(len(first.sizes))

    page.get_by_label("Model", exact=True).select_option(second.name)

    expect(page.locator("#prediction-model")).to_have_text(second.name)
    expect(page.locator(".layer-canvas")).to_have_count(len(second.sizes))
    expect(page.locator("#model-architecture")).to_have_text(
        " → ".join(str(size) for size in second.sizes)
    )
    expect(page.locator("#gallery-status")).to_contain_text(second.name)
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


def test_mnist_missing_is_explained_in_the_gallery(
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
    def refuse(route: Route) -> None:
        route.abort("connectionrefused")

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
