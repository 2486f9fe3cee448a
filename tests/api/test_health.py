"""`GET /healthz` and `GET /readyz`."""

from __future__ import annotations

import pytest
from django.test import Client

from registry.models import RegisteredModel

pytestmark = pytest.mark.django_db


def test_healthz(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_with_a_default_model(client: Client, registered_model: RegisteredModel) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == {"ok": True, "detail": "ok"}
    assert body["checks"]["model"] == {
        "ok": True,
        "detail": "loaded",
        "name": registered_model.name,
    }
    assert set(body["checks"]["mnist"]) == {"ok", "detail"}
    assert isinstance(body["checks"]["mnist"]["ok"], bool)


def test_not_ready_without_a_default(client: Client, model_store: object) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["model"]["ok"] is False
    assert "default" in body["checks"]["model"]["detail"]


def test_not_ready_with_a_broken_default(client: Client, registered_model: RegisteredModel) -> None:
    RegisteredModel.objects.filter(pk=registered_model.pk).update(
        status="broken", status_reason="bad file"
    )
    body = client.get("/readyz").json()
    assert body["status"] == "not_ready"
    assert "broken" in body["checks"]["model"]["detail"]


def test_missing_mnist_is_reported_but_not_fatal(
    client: Client, registered_model: RegisteredModel, mnist_missing: None
) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["mnist"]["ok"] is False
