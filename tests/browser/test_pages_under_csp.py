"""Every HTML page works in Chromium under the Content-Security-Policy, loading nothing off-site.

`/`, `/docs` (Swagger UI), `/redoc` and the admin (logged in for real) are opened against a live
server; each must send the policy, load only from the server itself (no CDN: ReDoc's logo comes
from the static files), log no console error (Chromium reports every CSP violation there) and do
its job: the demo page gets ready, Swagger UI lists the operations and its prefilled try-it-out of
`POST /predict/image` answers 200, ReDoc renders the API, the admin shows the registry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, Request, expect

from tests.fixtures.browser import PageErrors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch_origins(page: Page, base_url: str) -> list[str]:
    """Collect the URL of every request `page` makes to anywhere but `base_url`'s origin."""
    origin = urlsplit(base_url).netloc
    elsewhere: list[str] = []

    def seen(request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("data", "blob") and parts.netloc != origin:
            elsewhere.append(request.url)

    page.on("request", seen)
    return elsewhere


def open_under_csp(page: Page, url: str) -> None:
    """Load `url`, check that the response carries the policy, and let the page settle."""
    response = page.goto(url, wait_until="networkidle")
    assert response is not None, url
    assert response.ok, url
    policy = response.headers.get("content-security-policy", "")
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'", (url, policy)
    # Scripts from the server itself, plus inline ones carrying this response's nonce, if any.
    assert re.fullmatch(r"'self'( 'nonce-[\w-]+')?", directives["script-src"]), (url, policy)


def check_page(
    page: Page, page_errors: PageErrors, base_url: str, path: str, ready: Callable[[Page], None]
) -> None:
    elsewhere = watch_origins(page, base_url)
    open_under_csp(page, f"{base_url}{path}")
    ready(page)
    page.wait_for_load_state("networkidle")
    assert elsewhere == [], f"{path} loaded from elsewhere: {elsewhere}"
    assert page_errors.messages == [], f"{path}: {page_errors.messages}"


@pytest.mark.mnist
def test_demo_page(page: Page, page_errors: PageErrors, live_server: Any, demo_model: Any) -> None:
    def ready(page: Page) -> None:
        expect(page.locator("#app")).to_have_attribute("data-state", "ready")
        expect(page.locator(".sample[data-predicted]").first).to_be_visible()

    check_page(page, page_errors, live_server.url, "/", ready)


def test_swagger_ui_and_its_prefilled_image_request(
    page: Page, page_errors: PageErrors, live_server: Any, registered_model: Any
) -> None:
    def ready(page: Page) -> None:
        expect(page.locator(".opblock").first).to_be_visible()
        assert page.locator(".opblock").count() >= 9

    check_page(page, page_errors, live_server.url, "/docs", ready)

    # Try it out, exactly as prefilled: the JSON example (a data: URL of a small PNG digit).
    operation = page.locator(".opblock", has=page.locator('[data-path="/predict/image"]'))
    operation.locator(".opblock-summary").first.click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    expect(status).to_have_text("200")
    expect(operation.locator(".live-responses-table")).to_contain_text("predicted_digit")
    assert page_errors.messages == []


def test_redoc(page: Page, page_errors: PageErrors, live_server: Any) -> None:
    def ready(page: Page) -> None:
        expect(page.get_by_role("heading", name="Hippo API").first).to_be_visible()
        logo = page.locator('img[alt="redocly logo"]')
        expect(logo).to_have_attribute("src", "/static/docs/redoc-logo-mini.svg")
        expect(logo).to_be_visible()
        assert logo.evaluate("img => img.naturalWidth") > 0

    check_page(page, page_errors, live_server.url, "/redoc", ready)


def test_admin_after_a_real_login(
    page: Page, page_errors: PageErrors, live_server: Any, registered_model: Any
) -> None:
    get_user_model().objects.create_superuser("admin", "admin@example.com", "a-long-password-1")
    elsewhere = watch_origins(page, live_server.url)
    open_under_csp(page, f"{live_server.url}/admin/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("a-long-password-1")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Models").first).to_be_visible()

    for path in (
        "/admin/",
        "/admin/registry/registeredmodel/",
        f"/admin/registry/registeredmodel/{registered_model.pk}/change/",
    ):
        open_under_csp(page, f"{live_server.url}{path}")
        expect(page.locator("#content")).to_be_visible()
    expect(page.locator("#content")).to_contain_text(registered_model.name)
    assert elsewhere == []
    assert page_errors.messages == []
