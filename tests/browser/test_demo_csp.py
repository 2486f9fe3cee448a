"""The demo page works under a strict Content-Security-Policy (no inline scripts, handlers or
style attributes), the policy another change adds to every HTML page. The policy is put on the
page's response here, so this holds whether or not the server sends one yet."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.test_demo_page import SEVEN, open_demo
from tests.fixtures.browser import PageErrors, draw_stroke

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STRICT = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def with_strict_policy(route: Route) -> None:
    """Fetch the real page and serve it with the strict policy."""
    response = route.fetch()
    headers = {**response.headers, "content-security-policy": STRICT}
    route.fulfill(response=response, headers=headers)


@pytest.mark.mnist
def test_the_page_runs_under_a_strict_csp(
    page: Page, page_errors: PageErrors, live_server: Any, two_demo_models: Any
) -> None:
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.route(re.compile(r"/$"), with_strict_policy)
    open_demo(page, live_server.url)
    # The policy is in force: an inline style attribute is refused (and reported).
    probe = """() => { const p = document.createElement('p');
        p.setAttribute('style', 'color: rgb(1, 2, 3)'); document.body.append(p);
        const colour = getComputedStyle(p).color; p.remove(); return colour; }"""
    assert page.evaluate(probe) != "rgb(1, 2, 3)"
    page.wait_for_timeout(200)
    assert any("style-src" in v for v in violations), violations
    violations.clear()
    page_errors.messages.clear()  # that refusal was the probe's, not the page's

    # Everything that sets styles or builds markup at run time: drawing, the neuron view, the
    # sparkline, the comparison table, the confusion difference, the dark toggle.
    draw_stroke(page, "#pad", SEVEN)
    expect(page.locator("#prediction")).to_have_attribute("data-state", "done")
    page.get_by_role("button", name="Neurons").click()
    expect(page.locator(".neurons__column").first).to_be_visible()
    page.get_by_label("Compare its matrix with").select_option(index=1)
    expect(page.locator("svg.confusion-chart--diff")).to_be_visible()
    page.get_by_role("button", name="Dark mode").click()
    expect(page.locator(".compare__bar").first).to_be_visible()
    bar = page.locator(".probs__row.is-best .probs__bar")
    assert bar.evaluate("(b) => b.getBoundingClientRect().width") > 50
    assert violations == []
    assert page_errors.messages == []
