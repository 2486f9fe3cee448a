"""`POST /predict` and the other endpoints behave like any DRF view: content negotiation, exact
content types, `indent`, unknown fields refused as the schema says, orjson parsing with the
`json` module's behaviour kept for what orjson refuses."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from registry.models import RegisteredModel
from tests.api.helpers import assert_error, digit_pixels, post_json

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/predict", {"pixels": digit_pixels()}),
        ("post", "/activations", {"pixels": digit_pixels()}),
        ("get", "/models", None),
        ("get", "/healthz", None),
    ],
)
def test_accept_html_is_406(
    client: Client, registered_model: RegisteredModel, method: str, path: str, body: object
) -> None:
    if method == "post":
        response = post_json(client, path, body, HTTP_ACCEPT="text/html")
    else:
        response = client.get(path, HTTP_ACCEPT="text/html")
    assert_error(response, 406, "not_acceptable")


def test_indent_is_honoured(client: Client, registered_model: RegisteredModel) -> None:
    body = {"pixels": digit_pixels()}
    compact = post_json(client, "/predict", body)
    indented = post_json(client, "/predict", body, HTTP_ACCEPT="application/json; indent=4")
    assert indented.status_code == 200
    assert indented.content.startswith(b'{\n    "predicted_digit": ')
    assert b"\n" not in compact.content
    assert json.loads(indented.content) == json.loads(compact.content)
    models = client.get("/models", HTTP_ACCEPT="application/json; indent=2")
    assert models.content.startswith(b'{\n  "models": ')


@pytest.mark.parametrize("path", ["/predict", "/activations", "/predict/image"])
@pytest.mark.parametrize("content_type", ["application/jsonx", "text/json", "application/json-seq"])
def test_only_application_json_is_json(
    client: Client, registered_model: RegisteredModel, path: str, content_type: str
) -> None:
    body = json.dumps({"pixels": digit_pixels()})
    response = client.post(path, data=body, content_type=content_type)
    assert_error(response, 415, "unsupported_media_type")


def test_json_with_a_charset_is_json(client: Client, registered_model: RegisteredModel) -> None:
    body = json.dumps({"pixels": digit_pixels()})
    response = client.post("/predict", data=body, content_type="application/json; charset=utf-8")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "accepted"),
    [
        ("/predict", {"pixels": digit_pixels(), "colour": "red"}, "pixels, batch, model"),
        ("/activations", {"pixels": digit_pixels(), "batch": []}, "pixels, model"),
        ("/predict/image", {"image": "data:image/png;base64,AA==", "extra": 1}, "image, model"),
    ],
)
def test_unknown_fields_are_refused(
    client: Client, registered_model: RegisteredModel, path: str, body: dict, accepted: str
) -> None:
    error = assert_error(post_json(client, path, body), 400, "invalid_input")
    unknown = next(key for key in body if key not in accepted.split(", "))
    assert error["fields"] == {unknown: [f"unknown field (accepted: {accepted})"]}


def test_the_schema_says_unknown_fields_are_refused(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    for name in ("PredictRequest", "PixelsRequest", "ImageJSONRequest"):
        assert components[name]["additionalProperties"] is False, name
    content = schema["paths"]["/predict"]["post"]["requestBody"]["content"]
    assert set(content) == {"application/json", "application/octet-stream", "application/x-npy"}
    assert content["application/x-npy"]["schema"] == {"type": "string", "format": "binary"}


def test_utf16_json_is_still_json(client: Client, registered_model: RegisteredModel) -> None:
    body = json.dumps({"pixels": digit_pixels()}).encode("utf-16")
    assert post_json(client, "/predict", body).status_code == 200


@pytest.mark.parametrize(
    "body", [b'{"pixels": [NaN]}', b'{"pixels": [Infinity]}', b"\xff\xfe{", b"{nope"]
)
def test_what_orjson_refuses_is_reported_as_before(
    client: Client, registered_model: RegisteredModel, body: bytes
) -> None:
    assert_error(post_json(client, "/predict", body), 400, "malformed_json")


def test_the_request_serializers_run_the_views_rules() -> None:
    """Validating through the documented serializers gives the views' own answers."""
    from api.errors import ApiError
    from inference.request_serializers import PixelsRequestSerializer, PredictRequestSerializer

    good = PredictRequestSerializer(data={"batch": [[0.0] * 784] * 2, "model": "m"})
    assert good.is_valid()
    assert good.validated_data["batch"].shape == (2, 784)
    assert good.validated_data["model"] == "m"
    for bad, field in (
        ({"pixels": [0.0] * 784, "batch": [[0.0] * 784]}, "batch"),
        ({"pixels": [0.0] * 3}, "pixels"),
        ({"pixel": []}, "pixel"),
    ):
        with pytest.raises(ApiError) as raised:
            PredictRequestSerializer(data=bad).is_valid()
        assert raised.value.status_code == 400
        assert field in raised.value.fields, (bad, raised.value.fields)
    single = PixelsRequestSerializer(data={"pixels": [1.0] * 784})
    assert single.is_valid()
    assert single.validated_data["model"] is None
