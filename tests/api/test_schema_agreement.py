"""The schema states the constraints the code enforces, and errors are named for what they are.

(Schemathesis checks the whole schema against a live server in test_schemathesis.py.)
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

from inference.openapi_examples import EXAMPLE_IMAGE_DATA_URL
from registry.models import RegisteredModel
from tests.api.helpers import assert_error, post_json

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory, django_db_blocker: Any) -> dict[str, Any]:
    path = Path(tmp_path_factory.mktemp("schema")) / "schema.yaml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def test_pixels_and_batch_are_exclusive_and_the_batch_limit_is_stated(
    schema: dict[str, Any], settings: Any
) -> None:
    assert schema["paths"]["/predict"]["post"]["requestBody"]["required"] is True
    predict = schema["components"]["schemas"]["PredictRequest"]
    assert predict["oneOf"] == [{"required": ["pixels"]}, {"required": ["batch"]}]
    assert predict["properties"]["batch"]["maxItems"] == settings.HIPPO_PREDICT_BATCH_LIMIT


@pytest.mark.parametrize("body", [{}, {"model": "x"}], ids=["neither", "model only"])
def test_neither_pixels_nor_batch_is_a_400(
    client: Client, registered_model: RegisteredModel, body: dict[str, Any]
) -> None:
    assert_error(post_json(client, "/predict", body), 400, "invalid_input")


def test_both_pixels_and_batch_is_a_400(client: Client, registered_model: RegisteredModel) -> None:
    body = {"pixels": [0.0] * 784, "batch": [[0.0] * 784]}
    error = assert_error(post_json(client, "/predict", body), 400, "invalid_input")
    assert "not both" in error["message"]


def test_the_image_example_is_a_real_png_that_predicts(
    client: Client, registered_model: RegisteredModel, schema: dict[str, Any]
) -> None:
    media = schema["paths"]["/predict/image"]["post"]["requestBody"]["content"]
    first = next(iter(media["application/json"]["examples"].values()))["value"]
    assert first == {"image": EXAMPLE_IMAGE_DATA_URL}  # what Swagger UI's try-it-out sends
    header, _, data = EXAMPLE_IMAGE_DATA_URL.partition(",")
    assert header == "data:image/png;base64"
    assert base64.b64decode(data, validate=True).startswith(b"\x89PNG\r\n\x1a\n")
    answer = post_json(client, "/predict/image", first)
    assert answer.status_code == 200, answer.content
    assert answer.json()["model"] == registered_model.name


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/mnist/samples?dataset=", "dataset"),
        ("/mnist/samples?count=", "count"),
        ("/mnist/samples?seed=", "seed"),
        ("/models/small-net/weights?layer=", "layer"),
        ("/models/small-net/weights?layer=0&neuron=", "neuron"),
    ],
)
def test_an_empty_query_value_is_a_400(
    client: Client, registered_model: RegisteredModel, path: str, parameter: str
) -> None:
    error = assert_error(client.get(path), 400, "invalid_input")
    assert list(error["fields"]) == [parameter]
    assert "leave the parameter out" in error["fields"][parameter][0]


def test_the_weights_maximum_is_documented_and_named(
    client: Client, registered_model: RegisteredModel, schema: dict[str, Any]
) -> None:
    parameters = schema["paths"]["/models/{name}/weights"]["get"]["parameters"]
    layer = next(p for p in parameters if p["name"] == "layer")
    assert "At most" in layer["description"]
    error = assert_error(client.get("/models/small-net/weights?layer=2"), 400, "invalid_input")
    assert error["fields"]["layer"] == ["this model has layers 0..1; got 2"]


def test_a_multipart_parse_error_is_named_so(
    client: Client, registered_model: RegisteredModel
) -> None:
    response = client.post(
        "/predict/image",
        data=b"--nope\r\nnot really multipart",
        content_type="multipart/form-data",  # no boundary
    )
    error = assert_error(response, 400, "malformed_multipart")
    assert error["message"].startswith("The multipart/form-data body cannot be parsed")
