"""The Content-Security-Policy on every HTML page, and what the docs pages need to live under it.

(The pages are run in Chromium under the policy by tests/browser/test_pages_under_csp.py.)
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from api.docs_views import REDOC_CDN_LOGO

pytestmark = pytest.mark.django_db

PAGES = ["/", "/docs", "/redoc", "/admin/login/"]


def directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_the_policy(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == "'self'"
    assert re.fullmatch(r"'self'( 'nonce-[\w-]+')?", policy["script-src"])
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "http" not in response["Content-Security-Policy"]  # no other origin is allowed


def test_swagger_ui_start_up_script_carries_the_nonce(client: Client) -> None:
    nonces = []
    for _ in range(2):
        response = client.get("/docs")
        nonce = re.search(r"'nonce-([\w-]+)'", response["Content-Security-Policy"])
        assert nonce is not None
        html = response.content.decode()
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
        assert inline == [f' nonce="{nonce.group(1)}"']  # the one inline script has it
        nonces.append(nonce.group(1))
    assert nonces[0] != nonces[1]  # a new nonce per response


def test_redoc_loads_its_bundle_with_a_local_logo(client: Client) -> None:
    html = client.get("/redoc").content.decode()
    assert 'src="/redoc/redoc.standalone.js"' in html
    assert "googleapis" not in html
    bundle = client.get("/redoc/redoc.standalone.js")
    assert bundle.status_code == 200
    assert bundle["Content-Type"].startswith("text/javascript")
    body = bundle.content
    assert REDOC_CDN_LOGO.encode() not in body
    assert b"/static/docs/redoc-logo-mini.svg" in body
    assert client.get("/static/docs/redoc-logo-mini.svg").status_code == 200
