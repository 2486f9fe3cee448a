"""The site around the API: HTML error pages for browsers (JSON for API clients), the schema
page, and the admin's branding."""

from __future__ import annotations

import pytest
import yaml
from django.contrib.auth.models import User
from django.test import Client

from tests.api.helpers import assert_error

pytestmark = pytest.mark.django_db

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_gets_an_html_404_page(client: Client) -> None:
    response = client.get("/no/such/page", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "There is nothing at <code>/no/such/page</code>" in html
    assert 'href="/"' in html
    assert 'href="/docs"' in html


@pytest.mark.parametrize("accept", ["application/json", "*/*", None])
def test_api_clients_get_the_json_404(client: Client, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    error = assert_error(client.get("/no/such/endpoint", headers=headers), 404, "not_found")
    assert "/no/such/endpoint" in error["message"]


@pytest.mark.urls("tests.site.crash_urls")
def test_a_browser_gets_an_html_500_page_without_details() -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/crash", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "Something went wrong on the server" in html
    assert "secret detail" not in html


@pytest.mark.urls("tests.site.crash_urls")
def test_api_clients_get_the_json_500() -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/crash", HTTP_ACCEPT="application/json")
    error = assert_error(response, 500, "internal_error")
    assert "secret" not in response.content.decode()
    assert error["fields"] == {}


def test_the_schema_is_a_readable_page_in_a_browser(client: Client) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "attachment" not in response.get("Content-Disposition", "")
    html = response.content.decode()
    assert "openapi: 3" in html
    assert "/models/{name}/examples:" in html
    assert 'href="?format=json"' in html


def test_machine_clients_still_get_yaml_and_json(client: Client) -> None:
    plain = client.get("/api/schema/", HTTP_ACCEPT="*/*")
    assert plain["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(plain.content)["info"]["title"] == "Hippo API"
    as_json = client.get("/api/schema/?format=json", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert as_json["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert as_json.json()["openapi"].startswith("3")


def test_the_admin_is_branded_and_links_back_to_the_demo(client: Client) -> None:
    login = client.get("/admin/login/")
    assert login.status_code == 200
    html = login.content.decode()
    assert "Hippo" in html
    assert "Django administration" not in html
    assert "Back to the demo page" in html

    User.objects.create_superuser("admin", "admin@example.com", "pw-for-tests-only")
    client.login(username="admin", password="pw-for-tests-only")
    index = client.get("/admin/").content.decode()
    assert "<title>Site administration | Hippo admin</title>" in index
    assert '<a href="/">Demo page</a>' in index
