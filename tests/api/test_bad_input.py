"""A battery of bad input thrown at every endpoint: always a 4xx in the error envelope, never a 5xx.

Each case names the expected status and, where it matters, the error code; the envelope
(`{"error": {"code", "message", "fields"}}`) is checked for every case.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from registry.models import RegisteredModel
from tests.api.helpers import assert_error, digit_pixels, pixels_of

pytestmark = pytest.mark.django_db

PIXEL_ENDPOINTS = ("/predict", "/activations")
JSON_ENDPOINTS = ("/predict", "/activations", "/predict/image")


def with_item(index: int, value: Any) -> list[Any]:
    pixels: list[Any] = pixels_of(0.5)
    pixels[index] = value
    return pixels


# (label, raw JSON body, expected status, expected code, field named in `fields` or None)
PIXEL_BODIES: list[tuple[str, str, int, str, str | None]] = [
    ("too short", json.dumps({"pixels": pixels_of()[:783]}), 400, "invalid_input", "pixels"),
    ("too long", json.dumps({"pixels": [*pixels_of(), 0.5]}), 400, "invalid_input", "pixels"),
    ("empty list", '{"pixels": []}', 400, "invalid_input", "pixels"),
    ("string item", json.dumps({"pixels": with_item(3, "0.5")}), 400, "invalid_input", "pixels"),
    ("boolean item", json.dumps({"pixels": with_item(3, True)}), 400, "invalid_input", "pixels"),
    ("null item", json.dumps({"pixels": with_item(3, None)}), 400, "invalid_input", "pixels"),
    (
        "nested list item",
        json.dumps({"pixels": with_item(3, [0.5])}),
        400,
        "invalid_input",
        "pixels",
    ),
    ("object item", json.dumps({"pixels": with_item(3, {})}), 400, "invalid_input", "pixels"),
    ("above 1", json.dumps({"pixels": with_item(3, 1.0001)}), 400, "invalid_input", "pixels"),
    ("below 0", json.dumps({"pixels": with_item(3, -0.1)}), 400, "invalid_input", "pixels"),
    ("0-255 scale", json.dumps({"pixels": pixels_of(255)}), 400, "invalid_input", "pixels"),
    ("overflowing float", '{"pixels": [1e400' + ",0" * 783 + "]}", 400, "invalid_input", "pixels"),
    ("huge float", '{"pixels": [1e300' + ",0" * 783 + "]}", 400, "invalid_input", "pixels"),
    (
        "huge integer",
        '{"pixels": [' + "9" * 400 + ",0" * 783 + "]}",
        400,
        "invalid_input",
        "pixels",
    ),
    ("NaN literal", '{"pixels": [NaN' + ",0" * 783 + "]}", 400, "malformed_json", None),
    ("Infinity literal", '{"pixels": [Infinity' + ",0" * 783 + "]}", 400, "malformed_json", None),
    ("-Infinity literal", '{"pixels": [-Infinity' + ",0" * 783 + "]}", 400, "malformed_json", None),
    ("pixels a string", '{"pixels": "0.5"}', 400, "invalid_input", "pixels"),
    ("pixels null", '{"pixels": null}', 400, "invalid_input", "pixels"),
    ("pixels a number", '{"pixels": 0.5}', 400, "invalid_input", "pixels"),
    ("pixels 28x28", json.dumps({"pixels": [[0.5] * 28] * 28}), 400, "invalid_input", "pixels"),
    ("missing pixels", "{}", 400, "invalid_input", "pixels"),
    ("a misspelt field", '{"pixel": []}', 400, "invalid_input", "pixel"),
    (
        "model a number",
        json.dumps({"pixels": pixels_of(), "model": 5}),
        404,
        "model_not_found",
        "model",
    ),
    (
        "model a list",
        json.dumps({"pixels": pixels_of(), "model": ["a"]}),
        400,
        "invalid_input",
        "model",
    ),
    (
        "model an object",
        json.dumps({"pixels": pixels_of(), "model": {}}),
        400,
        "invalid_input",
        "model",
    ),
    (
        "model empty",
        json.dumps({"pixels": pixels_of(), "model": ""}),
        400,
        "invalid_input",
        "model",
    ),
    (
        "model too long",
        json.dumps({"pixels": pixels_of(), "model": "m" * 201}),
        400,
        "invalid_input",
        "model",
    ),
    (
        "model unknown",
        json.dumps({"pixels": pixels_of(), "model": "nope"}),
        404,
        "model_not_found",
        "model",
    ),
    (
        "model path-like",
        json.dumps({"pixels": pixels_of(), "model": "../../etc"}),
        404,
        "model_not_found",
        "model",
    ),
    (
        "model unicode",
        json.dumps({"pixels": pixels_of(), "model": "modèle-✓"}),
        404,
        "model_not_found",
        "model",
    ),
]

# Bodies that are bad for every JSON endpoint.
GENERIC_BODIES: list[tuple[str, bytes, int, str]] = [
    ("not JSON", b"pixels=1,2,3", 400, "malformed_json"),
    ("truncated JSON", b'{"pixels": [0.1, 0.2', 400, "malformed_json"),
    ("empty body", b"", 400, "invalid_input"),  # no body: every field is missing
    ("trailing garbage", b'{"pixels": []} extra', 400, "malformed_json"),
    ("invalid UTF-8", b'{"pixels": "\xff\xfe"}', 400, "malformed_json"),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, 400, "malformed_json"),
    ("a JSON list", b"[0.5, 0.5]", 400, "invalid_input"),
    ("a JSON string", b'"pixels"', 400, "invalid_input"),
    ("a JSON number", b"42", 400, "invalid_input"),
    ("JSON null", b"null", 400, "invalid_input"),
    ("JSON true", b"true", 400, "invalid_input"),
]


@pytest.mark.parametrize("path", PIXEL_ENDPOINTS)
@pytest.mark.parametrize(
    ("label", "body", "status", "code", "field"), PIXEL_BODIES, ids=[c[0] for c in PIXEL_BODIES]
)
def test_bad_pixels(
    client: Client,
    registered_model: RegisteredModel,
    path: str,
    label: str,
    body: str,
    status: int,
    code: str,
    field: str | None,
) -> None:
    response = client.post(path, data=body, content_type="application/json")
    error = assert_error(response, status, code)
    if field is not None:
        assert field in error["fields"], (label, error)


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
@pytest.mark.parametrize(
    ("label", "body", "status", "code"), GENERIC_BODIES, ids=[c[0] for c in GENERIC_BODIES]
)
def test_bad_json_bodies(
    client: Client,
    registered_model: RegisteredModel,
    path: str,
    label: str,
    body: bytes,
    status: int,
    code: str,
) -> None:
    response = client.post(path, data=body, content_type="application/json")
    assert_error(response, status, code)


BATCH_BODIES: list[tuple[str, Any, int, str]] = [
    (
        "both pixels and batch",
        {"pixels": pixels_of(), "batch": [pixels_of()]},
        400,
        "invalid_input",
    ),
    ("empty batch", {"batch": []}, 400, "invalid_input"),
    ("batch not a list", {"batch": "x"}, 400, "invalid_input"),
    ("batch of numbers", {"batch": pixels_of()}, 400, "invalid_input"),
    ("batch with a short row", {"batch": [pixels_of(), pixels_of()[:10]]}, 400, "invalid_input"),
    ("batch with a string", {"batch": [pixels_of(), with_item(7, "x")]}, 400, "invalid_input"),
    ("batch with a bool", {"batch": [with_item(7, False)]}, 400, "invalid_input"),
    ("batch out of range", {"batch": [pixels_of(), with_item(700, 2)]}, 400, "invalid_input"),
    ("batch with null row", {"batch": [pixels_of(), None]}, 400, "invalid_input"),
    ("batch null", {"batch": None}, 400, "invalid_input"),
]


@pytest.mark.parametrize(
    ("label", "body", "status", "code"), BATCH_BODIES, ids=[c[0] for c in BATCH_BODIES]
)
def test_bad_batches(
    client: Client, registered_model: RegisteredModel, label: str, body: Any, status: int, code: str
) -> None:
    response = client.post("/predict", data=json.dumps(body), content_type="application/json")
    error = assert_error(response, status, code)
    assert set(error["fields"]) & {"batch", "pixels"}, error


def test_batch_errors_name_the_row_and_pixel(
    client: Client, registered_model: RegisteredModel
) -> None:
    body = {"batch": [pixels_of(), pixels_of(), with_item(12, 3.5)]}
    error = assert_error(
        client.post("/predict", data=json.dumps(body), content_type="application/json"), 400
    )
    assert error["fields"]["batch"] == ["must be numbers in 0..1; item 2, pixel 12 is 3.5"]


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/xml", "image/png"],
)
@pytest.mark.parametrize("path", PIXEL_ENDPOINTS)
def test_wrong_content_type(
    client: Client, registered_model: RegisteredModel, path: str, content_type: str
) -> None:
    body = json.dumps({"pixels": digit_pixels()})
    assert_error(
        client.post(path, data=body, content_type=content_type), 415, "unsupported_media_type"
    )


@pytest.mark.parametrize("path", PIXEL_ENDPOINTS)
def test_multipart_is_refused_where_json_is_expected(
    client: Client, registered_model: RegisteredModel, path: str
) -> None:
    assert_error(client.post(path, {"pixels": "0.5"}), 415, "unsupported_media_type")


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_body_over_the_limit(
    client: Client, registered_model: RegisteredModel, settings: Settings, path: str
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"pixels": pixels_of(0.123456789)})
    assert len(body) > 10_000
    assert_error(
        client.post(path, data=body, content_type="application/json"), 413, "payload_too_large"
    )


@pytest.mark.parametrize(
    ("image", "status", "code"),
    [
        ("not a data url", 400, "invalid_input"),
        ("data:image/png;base64,!!!not base64!!!", 400, "invalid_input"),
        ("data:text/plain;base64,aGVsbG8=", 400, "invalid_input"),
        ("data:image/png;base64,aGVsbG8=", 400, "invalid_input"),
        ("data:image/png;base64,", 400, "invalid_input"),
        ("", 400, "invalid_input"),
        (None, 400, "invalid_input"),
        (12, 400, "invalid_input"),
        (["data:image/png;base64,AAAA"], 400, "invalid_input"),
    ],
)
def test_bad_image_values(
    client: Client, registered_model: RegisteredModel, image: Any, status: int, code: str
) -> None:
    response = client.post(
        "/predict/image", data=json.dumps({"image": image}), content_type="application/json"
    )
    error = assert_error(response, status, code)
    assert "image" in error["fields"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/predict"),
        ("put", "/predict"),
        ("delete", "/predict"),
        ("get", "/activations"),
        ("get", "/predict/image"),
        ("post", "/models"),
        ("delete", "/models/x"),
        ("post", "/healthz"),
        ("post", "/readyz"),
        ("post", "/mnist/samples"),
        ("patch", "/models/x/weights"),
    ],
)
def test_wrong_method(
    client: Client, registered_model: RegisteredModel, method: str, path: str
) -> None:
    if method == "get":
        response = client.get(path)
    else:
        response = getattr(client, method)(path, data="{}", content_type="application/json")
    assert_error(response, 405, "method_not_allowed")


@pytest.mark.parametrize(
    "path",
    [
        "/predict/",
        "/nope",
        "/models/a/b/c",
        "/api/predict",
        "/models/x/weights/",
        "/mnist/samples/",
    ],
)
def test_unknown_paths(client: Client, db: None, path: str) -> None:
    assert_error(client.get(path), 404, "not_found")
    assert_error(client.post(path, data="{}", content_type="application/json"), 404, "not_found")


@pytest.mark.parametrize(
    "query",
    [
        "count=0",
        "count=101",
        "count=-5",
        "count=abc",
        "count=1e3",
        "dataset=nope",
        "seed=-1",
        "seed=abc",
        "seed=" + "9" * 40,
    ],
)
def test_bad_sample_queries(client: Client, db: None, query: str) -> None:
    error = assert_error(client.get(f"/mnist/samples?{query}"), 400, "invalid_input")
    assert query.split("=")[0] in error["fields"]


@pytest.mark.parametrize("name", ["nope", "x" * 300, "%C3%A9t%C3%A9", "a.b", "..", "%00"])
@pytest.mark.parametrize("suffix", ["", "/weights?layer=0"])
def test_unknown_model_names_in_paths(client: Client, db: None, name: str, suffix: str) -> None:
    response = client.get(f"/models/{name}{suffix}")
    assert response.status_code in (400, 404)
    assert_error(response, response.status_code)
