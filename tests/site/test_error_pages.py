"""handler400, handler404 and handler500: a page for browsers, the JSON envelope for API clients.

One rule decides (`api.error_pages.wants_html`: the admin, or `Accept` naming text/html), for
each status, through the Django test client and over real HTTP (the live server).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
from django.test import Client, RequestFactory
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from api import error_pages
from api.errors import error_body
from hippo_site import urls

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
TIMEOUT = 10
CSRF_COOKIE = "a" * 32

Fetch = Callable[..., tuple[int, str, bytes]]


@pytest.fixture(params=["client", "live_server"])
def fetch(request: pytest.FixtureRequest) -> Fetch:
    """GET or POST a path through the test client or over HTTP: (status, content type, body)."""
    if request.param == "client":
        request.getfixturevalue("db")
        # CSRF checks on, with a token cookie, so a form body is read where it would be in
        # production (by the CSRF middleware, before any view).
        client = Client(raise_request_exception=False, enforce_csrf_checks=True)
        client.cookies["csrftoken"] = CSRF_COOKIE

        def through_client(
            path: str, *, host: str | None = None, accept: str | None = None, data: bytes = b""
        ) -> tuple[int, str, bytes]:
            headers = {k: v for k, v in (("Host", host), ("Accept", accept)) if v}
            if data:
                response = client.post(
                    path, data, content_type="application/x-www-form-urlencoded", headers=headers
                )
            else:
                response = client.get(path, headers=headers)
            return response.status_code, response["Content-Type"], response.content

        return through_client

    request.getfixturevalue("transactional_db")
    server: LiveServer = request.getfixturevalue("live_server")

    def over_http(
        path: str, *, host: str | None = None, accept: str | None = None, data: bytes = b""
    ) -> tuple[int, str, bytes]:
        headers = {k: v for k, v in (("Host", host), ("Accept", accept)) if v}
        if data:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Cookie"] = f"csrftoken={CSRF_COOKIE}"
            response = requests.post(
                f"{server.url}{path}", data=data, headers=headers, timeout=TIMEOUT
            )
        else:
            response = requests.get(f"{server.url}{path}", headers=headers, timeout=TIMEOUT)
        return response.status_code, response.headers["Content-Type"], response.content

    return over_http


def test_all_three_handlers_are_the_api_error_pages() -> None:
    assert urls.handler400 == "api.error_pages.bad_request"
    assert urls.handler404 == "api.error_pages.not_found"
    assert urls.handler500 == "api.error_pages.server_error"


def test_400_is_a_page_for_a_browser(fetch: Fetch) -> None:
    # A Host header outside ALLOWED_HOSTS: Django answers through handler400.
    status, content_type, body = fetch("/models", host="elsewhere.example", accept=BROWSER)
    assert status == 400
    assert content_type.startswith("text/html")
    assert b"Bad Request (400)" in body


@pytest.mark.parametrize("accept", ["application/json", "*/*", None])
def test_400_is_the_envelope_for_api_clients(fetch: Fetch, accept: str | None) -> None:
    status, content_type, body = fetch("/models", host="elsewhere.example", accept=accept)
    assert (status, content_type) == (400, "application/json")
    assert error_body("invalid_input", "Bad request.") == _json(body)


def test_413_outside_drf_follows_the_same_rule(fetch: Fetch, settings: Settings) -> None:
    # The CSRF middleware reads a form body itself: over the limit, Django raises
    # RequestDataTooBig before any view, and handler400 answers 413.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    form = b"field=" + b"x" * 5_000
    status, content_type, body = fetch("/", data=form, accept=BROWSER)
    assert (status, content_type) == (413, "text/plain")
    assert body == error_pages.TOO_BIG.encode()
    status, content_type, body = fetch("/", data=form, accept="application/json")
    assert (status, content_type) == (413, "application/json")
    assert _json(body)["error"]["code"] == "payload_too_large"
    status, content_type, _body = fetch("/admin/login/", data=form)  # the admin: always a page
    assert (status, content_type) == (413, "text/plain")


def test_404_is_a_page_for_a_browser(fetch: Fetch) -> None:
    status, content_type, body = fetch("/no/such/page", accept=BROWSER)
    assert status == 404
    assert content_type.startswith("text/html")
    assert b"There is nothing at <code>/no/such/page</code>" in body


@pytest.mark.parametrize("accept", ["application/json", "*/*", None])
def test_404_is_the_envelope_for_api_clients(fetch: Fetch, accept: str | None) -> None:
    status, content_type, body = fetch("/no/such/endpoint", accept=accept)
    assert (status, content_type) == (404, "application/json")
    error = _json(body)["error"]
    assert error["code"] == "not_found"
    assert "/no/such/endpoint" in error["message"]


@pytest.mark.urls("tests.site.crash_urls")
def test_500_is_a_page_for_a_browser(fetch: Fetch) -> None:
    status, content_type, body = fetch("/crash", accept=BROWSER)
    assert status == 500
    assert content_type.startswith("text/html")
    assert b"Something went wrong on the server" in body
    assert b"secret detail" not in body


@pytest.mark.urls("tests.site.crash_urls")
@pytest.mark.parametrize("accept", ["application/json", None])
def test_500_is_the_envelope_for_api_clients(fetch: Fetch, accept: str | None) -> None:
    status, content_type, body = fetch("/crash", accept=accept)
    assert (status, content_type) == (500, "application/json")
    assert _json(body) == error_body("internal_error", "Internal server error.")
    assert b"secret" not in body


def test_the_admin_always_gets_pages(rf: RequestFactory) -> None:
    assert error_pages.wants_html(rf.get("/admin/nothing"))
    assert error_pages.wants_html(rf.get("/models", headers={"Accept": BROWSER}))
    assert not error_pages.wants_html(rf.get("/models", headers={"Accept": "*/*"}))


def _json(body: bytes) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(body)
    return decoded
