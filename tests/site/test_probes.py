"""Health probes by IP: a load balancer's `GET /healthz` names the instance's address as Host.

With `ALLOWED_HOSTS` set to the site's name, Django refuses every other host with a 400; the
probes' paths alone must answer whatever the Host header says, through the normal middleware and
DRF views, while every other path keeps the check.
"""

from __future__ import annotations

import pytest
import requests
from django.test import Client
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from registry.models import RegisteredModel

SITE = "hippo.example.com"
PROBE_HOST = "192.0.2.10:8000"  # an instance's address (TEST-NET-1), as a load balancer sends it
TIMEOUT = 10


@pytest.fixture
def named_site(settings: Settings) -> None:
    settings.ALLOWED_HOSTS = [SITE]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("named_site")
def test_probes_answer_by_ip_over_http(
    live_server: LiveServer, registered_model: RegisteredModel
) -> None:
    base = live_server.url
    health = requests.get(f"{base}/healthz", headers={"Host": PROBE_HOST}, timeout=TIMEOUT)
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    ready = requests.get(f"{base}/readyz", headers={"Host": PROBE_HOST}, timeout=TIMEOUT)
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")
    # Through the middleware like any request: the site's headers are there.
    assert health.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in health.headers

    other = requests.get(f"{base}/models", headers={"Host": PROBE_HOST}, timeout=TIMEOUT)
    assert other.status_code == 400
    assert other.json()["error"]["code"] == "invalid_input"
    named = requests.get(f"{base}/models", headers={"Host": SITE}, timeout=TIMEOUT)
    assert named.status_code == 200


@pytest.mark.django_db
@pytest.mark.usefixtures("named_site")
def test_probes_answer_by_ip_through_the_test_client(registered_model: RegisteredModel) -> None:
    client = Client(HTTP_HOST=PROBE_HOST)
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    for path in ("/models", "/healthz/", "/healthzz", "/"):
        assert client.get(path).status_code == 400, path
    assert Client(HTTP_HOST=SITE).get("/models").status_code == 200


@pytest.mark.django_db
@pytest.mark.usefixtures("named_site")
def test_a_probe_with_an_allowed_host_sees_it() -> None:
    client = Client(HTTP_HOST=SITE)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.wsgi_request.get_host() == SITE
    probe = Client(HTTP_HOST=PROBE_HOST).get("/healthz")
    assert probe.wsgi_request.get_host() == PROBE_HOST
