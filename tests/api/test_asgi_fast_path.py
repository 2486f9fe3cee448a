"""The lean `POST /predict` path for ASGI (`inference.asgi`) answers exactly as Django would.

Every case sends the same request to Django's ASGI handler and to `PredictFastPathASGI(Django)`
and compares status, headers (names as sent, values) and bytes; the `served` counter tells which
path answered. The test database lives in memory, so the model row is always read from the
database: these requests take the path that runs the prediction on a thread; one test takes the
event-loop path with the row already known.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from pytest_django.fixtures import Settings

from inference import resolver
from inference.asgi import PredictFastPathASGI
from inference.services import warm_up
from registry.models import RegisteredModel
from registry.services import make_default
from tests.api import wsgi_client
from tests.api.asgi_client import AsgiResponse, call, django_app
from tests.api.helpers import digit_pixels, pixels_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def orm_refused_on_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in production: the browser fixtures allow the ORM in async code for Playwright."""
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)


def both(body: bytes, **kwargs: Any) -> tuple[AsgiResponse, AsgiResponse, PredictFastPathASGI]:
    app = PredictFastPathASGI(django_app())
    fast = call(app, body, **kwargs)
    slow = call(django_app(), body, **kwargs)
    return fast, slow, app


def same(fast: AsgiResponse, slow: AsgiResponse) -> bool:
    return (fast.status, fast.body, sorted(fast.raw_headers)) == (
        slow.status,
        slow.body,
        sorted(slow.raw_headers),
    )


def test_one_image_is_answered_by_the_fast_path_identically(
    registered_model: RegisteredModel,
) -> None:
    body = json.dumps({"pixels": digit_pixels()}).encode()
    fast, slow, app = both(body)
    assert app.served == 1
    assert fast.status == 200
    assert same(fast, slow)
    assert json.loads(fast.body)["model"] == registered_model.name
    # and as the WSGI stack answers
    wsgi = wsgi_client.call(wsgi_client.django_app(), body)
    assert (wsgi.status, wsgi.body, wsgi.headers) == (fast.status, fast.body, fast.headers)


def test_batch_named_model_and_a_body_in_pieces(
    two_registered_models: tuple[RegisteredModel, ...],
) -> None:
    _, second = two_registered_models
    body = json.dumps({"batch": [digit_pixels(), pixels_of(0.2)], "model": second.name}).encode()
    fast, slow, app = both(body, chunk_size=1000)
    assert app.served == 1
    assert same(fast, slow)
    assert json.loads(fast.body)["model"] == second.name


def test_the_event_loop_path_needs_no_database(
    registered_model: RegisteredModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    warm_up()  # the network is loaded, as in a gunicorn worker
    row = resolver._row(None)  # read here; on the event loop the ORM would refuse
    monkeypatch.setattr(resolver, "_row", lambda name: row)

    async def no_thread(body: bytes) -> None:
        raise AssertionError("the prediction went to a thread")

    monkeypatch.setattr("inference.asgi._predict_with_database", no_thread)
    body = json.dumps({"pixels": digit_pixels()}).encode()
    fast, slow, app = both(body)
    assert app.served == 1
    assert same(fast, slow)


@pytest.mark.parametrize(
    "body",
    [
        b'{"pixels": [1, 2]}',
        b"not json",
        b'{"pixels": [NaN]}',
        b"[]",
        json.dumps({"pixels": pixels_of(), "batch": [pixels_of()]}).encode(),
        json.dumps({"pixels": pixels_of(), "model": "nope"}).encode(),
        json.dumps({"pixels": pixels_of(), "model": 7}).encode(),
        json.dumps({"pixels": pixels_of(), "model": " small-net "}).encode(),
        json.dumps({"batch": [pixels_of()] * 2000}).encode(),
        b"{}",
        b"\xef\xbb\xbf" + json.dumps({"pixels": pixels_of(0.5)}).encode(),  # byte-order mark
        b'{"pixels": [1e400' + b", 0.5" * 783 + b"]}",  # inf for json, an error for orjson
        json.dumps({"pixels": pixels_of(), "model": "\ud800"}).encode(),  # a lone surrogate
    ],
)
def test_everything_else_is_left_to_django(registered_model: RegisteredModel, body: bytes) -> None:
    fast, slow, app = both(body, chunk_size=4096)
    assert app.served == 0
    assert same(fast, slow)


def test_cors_requests_go_through_django(
    registered_model: RegisteredModel, settings: Settings
) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://frontend.example"]
    body = json.dumps({"pixels": digit_pixels()}).encode()
    fast, slow, app = both(body, headers={"Origin": "https://frontend.example"})
    assert app.served == 0
    assert fast.status == 200
    assert fast.headers["access-control-allow-origin"] == "https://frontend.example"
    assert same(fast, slow)


@pytest.mark.parametrize(
    ("kwargs"),
    [
        {"headers": {"Host": "evil.example"}},
        {"content_type": "text/plain"},
        {"method": "PUT"},
        {"path": "/predict/"},
    ],
)
def test_unusual_requests_go_through_django(
    registered_model: RegisteredModel, kwargs: dict[str, Any]
) -> None:
    body = json.dumps({"pixels": digit_pixels()}).encode()
    fast, slow, app = both(body, **kwargs)
    assert app.served == 0
    assert fast.status >= 400
    assert (fast.status, fast.body) == (slow.status, slow.body)


def test_oversized_body_goes_through_django(
    registered_model: RegisteredModel, settings: Settings
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5_000
    body = json.dumps({"pixels": pixels_of(0.123456)}).encode()
    fast, slow, app = both(body)
    assert app.served == 0
    assert fast.status == slow.status == 413


def test_throttling_turns_the_fast_path_off(
    registered_model: RegisteredModel, settings: Settings
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
        "DEFAULT_THROTTLE_RATES": {"anon": "1000/second"},
    }
    app = PredictFastPathASGI(django_app())
    assert app.enabled is False
    assert call(app, json.dumps({"pixels": digit_pixels()}).encode()).status == 200
    assert app.served == 0


def test_default_switch_reaches_the_fast_path(
    two_registered_models: tuple[RegisteredModel, ...],
) -> None:
    first, second = two_registered_models
    app = PredictFastPathASGI(django_app())
    body = json.dumps({"pixels": digit_pixels()}).encode()
    assert json.loads(call(app, body).body)["model"] == first.name
    make_default(second)
    assert json.loads(call(app, body).body)["model"] == second.name
    assert app.served == 2


def test_lifespan_is_accepted() -> None:
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[str] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: Mapping[str, Any]) -> None:
        sent.append(message["type"])

    app = PredictFastPathASGI(django_app())
    async_to_sync(app)({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
