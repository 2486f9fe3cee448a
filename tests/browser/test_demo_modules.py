"""The demo page's JavaScript modules: elements are looked up once and a missing one stops the page
with its id; only the entry points (main.js, theme.js, theme-early.js) act when loaded, every other
module only defines things until main.js calls it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route

from tests.fixtures.browser import PageErrors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JS = Path(__file__).resolve().parents[2] / "static" / "demo" / "js"
ENTRY_POINTS = {"main.js", "theme.js", "theme-early.js"}


def without_id(element_id: str) -> Any:
    """A route handler serving the real page with `element_id`'s id attribute removed."""

    def handle(route: Route) -> None:
        response = route.fetch()
        html = response.text()
        marker = f'id="{element_id}"'
        assert marker in html
        route.fulfill(response=response, body=html.replace(marker, ""))

    return handle


def test_a_missing_element_stops_the_page_naming_its_id(
    page: Page, page_errors: PageErrors, live_server: Any
) -> None:
    page.route(re.compile(r"/$"), without_id("gallery-count"))
    page.goto(f"{live_server.url}/")
    page.wait_for_function("() => document.readyState === 'complete'")
    page.wait_for_timeout(300)
    assert any('no element with id "gallery-count"' in m for m in page_errors.messages), (
        page_errors.messages
    )
    # It stopped before asking the server anything.
    assert page.locator("#app").get_attribute("data-state") == "loading"


def test_an_unknown_element_name_throws(
    page: Page, page_errors: PageErrors, live_server: Any
) -> None:
    page.goto(f"{live_server.url}/")
    message = page.evaluate(
        """async () => {
            const { findElements } = await import('/static/demo/js/elements.js');
            const els = findElements();
            if (els.modelSelect !== document.getElementById('model-select')) return 'wrong element';
            try { els.modelSelekt; return 'no error'; } catch (error) { return error.message; }
        }"""
    )
    assert 'no element named "modelSelekt"' in message


def test_modules_other_than_the_entry_points_do_nothing_when_imported(
    page: Page, page_errors: PageErrors, live_server: Any
) -> None:
    modules = sorted(
        path.relative_to(JS).as_posix()
        for path in JS.rglob("*.js")
        if path.relative_to(JS).as_posix() not in ENTRY_POINTS
    )
    assert "panels/gallery.js" in modules
    # A page of the site's origin without the demo's scripts, so nothing is imported yet.
    page.route(
        re.compile(r"/blank$"),
        lambda route: route.fulfill(
            body="<!doctype html><title>blank</title><p>blank</p>", content_type="text/html"
        ),
    )
    page.goto(f"{live_server.url}/blank")
    acted = page.evaluate(
        """async (modules) => {
            const calls = [];
            const listen = EventTarget.prototype.addEventListener;
            EventTarget.prototype.addEventListener = function (type, ...rest) {
                calls.push(`listens to ${type}`);
                return listen.call(this, type, ...rest);
            };
            const byId = Document.prototype.getElementById;
            Document.prototype.getElementById = function (id) {
                calls.push(`looks up #${id}`);
                return byId.call(this, id);
            };
            const acted = {};
            for (const module of modules) {
                calls.length = 0;
                await import(`/static/demo/js/${module}`);
                if (calls.length) acted[module] = [...calls];
            }
            return acted;
        }""",
        modules,
    )
    assert acted == {}
    assert page_errors.messages == []
