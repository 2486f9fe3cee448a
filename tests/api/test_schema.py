"""The OpenAPI schema validates, documents every endpoint with examples and errors, and the docs
pages work offline (only the project's own static files)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

API_PATHS = {
    "/models",
    "/models/{name}",
    "/models/{name}/weights",
    "/predict",
    "/predict/image",
    "/activations",
    "/mnist/samples",
    "/healthz",
    "/readyz",
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = Path(tmp_path_factory.mktemp("schema")) / "schema.yaml"
    # --validate checks against the OpenAPI JSON Schema; --fail-on-warn turns any
    # drf-spectacular warning (an undocumented type, a missing serializer) into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def test_every_endpoint_is_documented(schema: dict[str, Any]) -> None:
    assert set(schema["paths"]) >= API_PATHS


def test_every_operation_has_examples_and_error_responses(schema: dict[str, Any]) -> None:
    for path in API_PATHS:
        for method, operation in schema["paths"][path].items():
            responses = operation["responses"]
            ok = responses["200"]["content"]["application/json"]
            assert ok.get("examples"), f"{method} {path}: no response example"
            errors = [code for code in responses if code.startswith(("4", "5"))]
            assert errors, f"{method} {path}: no error responses"
            for code in errors:
                content = responses[code]["content"]["application/json"]
                if path != "/readyz" or code != "503":
                    assert content["schema"]["$ref"].endswith("/ErrorResponse"), (path, code)
            if method == "post":
                request = operation["requestBody"]["content"]
                assert "application/json" in request
                assert request["application/json"].get("examples"), (
                    f"{method} {path}: no request example"
                )


def test_input_errors_are_documented_where_input_is_taken(schema: dict[str, Any]) -> None:
    predict = schema["paths"]["/predict"]["post"]["responses"]
    assert {"400", "404", "409", "413", "415"} <= set(predict)
    assert "503" in schema["paths"]["/mnist/samples"]["get"]["responses"]
    assert (
        "multipart/form-data" in schema["paths"]["/predict/image"]["post"]["requestBody"]["content"]
    )


def test_pixels_are_documented_as_784_numbers(schema: dict[str, Any]) -> None:
    pixels = schema["components"]["schemas"]["PredictRequest"]["properties"]["pixels"]
    assert (pixels["minItems"], pixels["maxItems"]) == (784, 784)


def test_schema_endpoint_serves_it(client: Client) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/predict" in response.json()["paths"]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_use_only_local_assets(client: Client, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the page loads no assets at all?"
    remote = [url for url in assets if url.startswith(("http:", "https:", "//"))]
    assert remote == [], f"{page} loads assets from elsewhere: {remote}"
    assert not re.search(r"https?://cdn|jsdelivr|unpkg|cdnjs", html)
    for url in assets:
        if url.startswith("/static/"):
            asset = client.get(url)
            assert asset.status_code == 200, url
            b"".join(asset.streaming_content if asset.streaming else [asset.content])  # type: ignore[attr-defined]
