"""Requests that once answered 500 now answer a 4xx in the error envelope; echoed input renders.

The hand-picked crashers of `tests.fuzz.crashers` go through Django's test client with a
registered model; every error message that echoes what the client sent (an unknown field's name,
a model name, a value) is rendered whatever the string holds, compact or indented.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from django.test import Client

from api.renderers import JSONRenderer
from tests.api.helpers import assert_error
from tests.fuzz.crashers import CRASHERS, UNNAMED_400S, Crasher

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

    from registry.models import RegisteredModel


def send(client: Client, crasher: Crasher) -> TestResponse:
    """Send `crasher` through the test client."""
    extra: dict[str, Any] = {"headers": crasher.headers}
    if crasher.content_type is not None:
        extra["content_type"] = crasher.content_type
    response: TestResponse = client.generic(
        crasher.method, crasher.path, data=crasher.body, **extra
    )
    return response


@pytest.mark.parametrize("crasher", CRASHERS, ids=[crasher.label for crasher in CRASHERS])
def test_a_former_crasher_is_answered_without_a_server_error(
    client: Client, registered_model: RegisteredModel, crasher: Crasher
) -> None:
    response = send(client, crasher)
    assert response.status_code < 500, (crasher.was, response.content[:300])
    if crasher.path.startswith("/docs"):
        return  # a page, not the API
    error = assert_error(response, response.status_code)
    assert response.status_code in (400, 413), error
    assert error["fields"], error  # names the field at fault (or the body)


@pytest.mark.parametrize("crasher", UNNAMED_400S, ids=[crasher.label for crasher in UNNAMED_400S])
def test_too_many_fields_names_where_they_are(
    client: Client, registered_model: RegisteredModel, crasher: Crasher
) -> None:
    error = assert_error(send(client, crasher), 400, "invalid_input")
    expected = "query" if crasher.method == "GET" else "body"
    assert list(error["fields"]) == [expected], error
    assert "more than 1000" in error["fields"][expected][0]


HOSTILE_STRINGS = ["\\ud800", "\\udfff", "a\\udc00b", "\\udc00\\ud800", "\\ud83d\\ude00"]
"""JSON escapes: lone surrogates (high, low, inside text, reversed) and a valid pair."""

ECHOING_BODIES = [
    ("/predict", '{{"{text}":1}}'),
    ("/predict", '{{"pixels":[0],"{text}":1}}'),
    ("/predict", '{{"pixels":"{text}"}}'),
    ("/predict", '{{"pixels":["{text}"]}}'),
    ("/predict", '{{"batch":[["{text}"]]}}'),
    ("/predict", '{{"batch":"{text}"}}'),
    ("/predict", '{{"pixels":' + json.dumps([0] * 784) + ',"model":"{text}"}}'),
    ("/predict", '{{"pixels":' + json.dumps([0] * 784) + ',"model":["{text}"]}}'),
    ("/predict", '{{"{text}":{{"{text}":1}}}}'),
    ("/predict", '"{text}"'),
    ("/activations", '{{"{text}":1}}'),
    ("/activations", '{{"pixels":"{text}"}}'),
    ("/activations", '{{"pixels":' + json.dumps([0] * 784) + ',"model":"{text}"}}'),
    ("/predict/image", '{{"{text}":1}}'),
    ("/predict/image", '{{"image":"{text}"}}'),
    ("/predict/image", '{{"image":"data:image/png;base64,{text}"}}'),
    ("/predict/image", '{{"image":"data:{text}/png;base64,AAAA"}}'),
    ("/predict/image", '{{"image":"data:image/png;base64,AAAA","model":"{text}"}}'),
]
"""Every JSON error path that echoes the client's text: keys, values, model names, data URLs."""


@pytest.mark.parametrize(("path", "template"), ECHOING_BODIES)
def test_every_error_echoing_input_renders(
    client: Client, registered_model: RegisteredModel, path: str, template: str
) -> None:
    for text in HOSTILE_STRINGS:
        for accept in ("application/json", "application/json; indent=2"):
            body = template.format(text=text)
            headers = {"Accept": accept}
            response = client.post(path, body, content_type="application/json", headers=headers)
            assert 400 <= response.status_code < 500, (text, accept, response.content[:300])
            assert_error(response, response.status_code)
            # Valid UTF-8 JSON, which strict parsers (orjson) read too.
            orjson.loads(response.content)


def test_unknown_field_named_by_its_escape(
    client: Client, registered_model: RegisteredModel
) -> None:
    response = client.post("/predict", '{"a\\ud800":1}', content_type="application/json")
    error = assert_error(response, 400, "invalid_input")
    assert error["fields"] == {"a\\ud800": ["unknown field (accepted: pixels, batch, model)"]}


def test_the_renderer_escapes_only_what_it_cannot_encode() -> None:
    renderer = JSONRenderer()
    data = {"ok": "caf\u00e9 \U0001f600", "bad\ud800": ["\udfff", 1, 0.5, None], 7: "seven"}
    rendered = orjson.loads(renderer.render(data))
    assert rendered == {
        "ok": "caf\u00e9 \U0001f600",
        "bad\\ud800": ["\\udfff", 1, 0.5, None],
        "7": "seven",
    }
    indented = renderer.render(data, "application/json; indent=2")
    assert orjson.loads(indented) == rendered
    assert b"\n  " in indented


def test_the_hot_path_is_orjson_unchanged() -> None:
    data = {"predictions": [{"digit": 3, "probabilities": [0.1] * 10}], "model": "m"}
    assert JSONRenderer().render(data) == orjson.dumps(data)


def test_integers_beyond_64_bits_still_render() -> None:
    assert json.loads(JSONRenderer().render({"n": 2**70})) == {"n": 2**70}
