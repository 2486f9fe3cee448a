"""Dark mode (the system's preference and the header toggle), accessibility checks with axe-core
(contrast, labels, focus order) on desktop, phone and dark, the reference screenshots, and the
site's own pages (404, the schema, the admin) as a browser sees them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_demo_page import SEVEN, open_demo
from tests.fixtures.browser import (
    PHONE,
    SCREENSHOT_DIR,
    PageErrors,
    PageFactory,
    assert_accessible,
    draw_stroke,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIGHT_BG = "rgb(244, 245, 248)"
DARK_BG = "rgb(15, 19, 32)"


def page_background(page: Page) -> str:
    colour: str = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    return colour


def save_screen(page: Page, name: str) -> None:
    """A first-screen (viewport) screenshot under artifacts/screenshots/, for people to look at,
    once the connection lines (which wait for the layers' weights) are drawn."""
    expect(page.locator("#flow")).to_have_attribute("data-lines", re.compile(r"^[1-9]\d*$"))
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT_DIR / f"{name}.png")


@pytest.mark.mnist
def test_dark_mode_follows_the_system_and_the_toggle(
    new_page: PageFactory, page_errors: PageErrors, live_server: Any, demo_model: Any
) -> None:
    page = new_page(color_scheme="dark")
    open_demo(page, live_server.url)
    assert page_background(page) == DARK_BG
    toggle = page.get_by_role("button", name="Dark mode")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    # Canvas labels follow the theme too (the output column's digits are light on dark).
    expect(page.locator("#flow")).to_have_attribute("data-lines", re.compile(r"^\d+$"))
    save_screen(page, "dark")

    toggle.click()
    assert page_background(page) == LIGHT_BG
    expect(toggle).to_have_attribute("aria-pressed", "false")
    # The choice is remembered, and wins over the system's preference.
    page.reload()
    open_demo(page, live_server.url)
    assert page_background(page) == LIGHT_BG
    page.emulate_media(color_scheme="dark")
    assert page_background(page) == LIGHT_BG
    toggle.click()
    assert page_background(page) == DARK_BG
    assert page_errors.messages == []


@pytest.mark.mnist
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violations_on_desktop(
    new_page: PageFactory,
    page_errors: PageErrors,
    live_server: Any,
    two_demo_models: Any,
    axe_source: str,
    scheme: str,
) -> None:
    page = new_page(color_scheme=scheme, bypass_csp=True)
    open_demo(page, live_server.url)
    if scheme == "light":
        save_screen(page, "desktop")
    assert_accessible(page, axe_source)
    # After interacting: a drawing with its verdict, the neuron view, a confusion cell's images.
    draw_stroke(page, "#pad", SEVEN)
    expect(page.locator("#prediction")).to_have_attribute("data-state", "done")
    page.get_by_role("button", name="Neurons").click()
    expect(page.locator(".neurons__column").first).to_be_visible()
    page.get_by_label("Mistakes only").check()
    expect(page.locator("#gallery-status")).to_contain_text("gets wrong")
    page.get_by_label("Compare its matrix with").select_option(index=1)
    expect(page.locator("svg.confusion-chart--diff")).to_be_visible()
    assert_accessible(page, axe_source)
    assert page_errors.messages == []


@pytest.mark.mnist
def test_no_serious_accessibility_violations_on_a_phone(
    new_page: PageFactory,
    page_errors: PageErrors,
    live_server: Any,
    demo_model: Any,
    axe_source: str,
) -> None:
    page = new_page(PHONE, touch=True, bypass_csp=True)
    open_demo(page, live_server.url)
    page.locator("#pad").scroll_into_view_if_needed()
    draw_stroke(page, "#pad", SEVEN, pointer="touch")
    # The answer to the whole stroke (live answers to parts of it arrive first).
    expect(page.locator("#mini-digit")).to_have_text("7")
    expect(page.locator("#prediction-card")).to_have_attribute("aria-busy", "false")
    save_screen(page, "phone")
    page.evaluate("window.scrollTo(0, 0)")
    assert_accessible(page, axe_source)
    assert page_errors.messages == []


def test_site_pages_for_browsers(
    new_page: PageFactory, page_errors: PageErrors, live_server: Any, axe_source: str
) -> None:
    page = new_page(bypass_csp=True)
    response = page.goto(f"{live_server.url}/no/such/page")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_contain_text("There is nothing at")
    page.get_by_role("link", name="The demo page").click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/no/such/page")
    assert_accessible(page, axe_source)

    # The schema is a page to read, not a download; the formats are a click away.
    response = page.goto(f"{live_server.url}/api/schema/")
    assert response is not None
    assert response.headers["content-type"].startswith("text/html")
    expect(page.locator(".schema-page__yaml")).to_contain_text("openapi: 3")
    expect(page.locator(".schema-page__yaml")).to_contain_text("/models/{name}/examples:")
    with page.expect_response(lambda r: "format=json" in r.url) as answer:
        page.get_by_role("link", name="JSON").click()
    assert answer.value.headers["content-type"].startswith("application/vnd.oai.openapi+json")

    # The admin is Hippo's, with a way back to the demo page.
    page.goto(f"{live_server.url}/admin/login/")
    expect(page).to_have_title("Log in | Hippo admin")
    expect(page.locator("#site-name")).to_have_text("Hippo")
    page.get_by_role("link", name="← Back to the demo page").click()
    expect(page).to_have_url(f"{live_server.url}/")
    # Chromium logs the 404 response itself; the pages raised nothing.
    assert [m for m in page_errors.messages if "status of 404" not in m] == []
