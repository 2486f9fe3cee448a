"""The lean `POST /predict` path in front of Django answers exactly as Django would.

Every case sends the same request to plain Django and to `PredictFastPath(Django)` and compares
status, headers and bytes; the `served` counter tells which path answered.
"""

from __future__ import annotations

import json

import pytest
from pytest_django.fixtures import Settings

from inference.fast_path import PredictFastPath
from registry.models import RegisteredModel
from registry.services import make_default
from tests.api.helpers import digit_pixels, pixels_of
from tests.api.wsgi_client import WsgiResponse, call, django_app

pytestmark = pytest.mark.django_db


def both(body: bytes, **kwargs: object) -> tuple[WsgiResponse, WsgiResponse, PredictFastPath]:
    app = PredictFastPath(django_app())
    fast = call(app, body, **kwargs)  # type: ignore[arg-type]
    slow = call(django_app(), body, **kwargs)  # type: ignore[arg-type]
    return fast, slow, app


def test_one_image_is_answered_by_the_fast_path_identically(
    registered_model: RegisteredModel,
) -> None:
    body = json.dumps({"pixels": digit_pixels()}).encode()
    fast, slow, app = both(body)
    assert app.served == 1
    assert fast.status == slow.status == 200
    assert fast.body == slow.body
    assert fast.headers == slow.headers
    assert json.loads(fast.body)["model"] == registered_model.name


def test_batch_and_named_model(two_registered_models: tuple[RegisteredModel, ...]) -> None:
    _, second = two_registered_models
    body = json.dumps({"batch": [digit_pixels(), pixels_of(0.2)], "model": second.name}).encode()
    fast, slow, app = both(body)
    assert app.served == 1
    assert (fast.status, fast.body, fast.headers) == (slow.status, slow.body, slow.headers)
    assert json.loads(fast.body)["model"] == second.name


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
    ],
)
def test_everything_else_is_left_to_django(registered_model: RegisteredModel, body: bytes) -> None:
    fast, slow, app = both(body)
    assert app.served == 0
    assert (fast.status, fast.body) == (slow.status, slow.body)
    assert fast.headers == slow.headers


@pytest.mark.parametrize(
    "body",
    [
        b"\xef\xbb\xbf" + json.dumps({"pixels": pixels_of(0.5)}).encode(),  # UTF-8 byte-order mark
        json.dumps({"pixels": pixels_of(0.5)}).encode("utf-16"),
        b'{"pixels": [1e400' + b", 0.5" * 783 + b"]}",  # inf for json, an error for orjson
        json.dumps({"pixels": [10**30, *pixels_of()[1:]]}).encode(),  # a float for orjson
        json.dumps({"pixels": pixels_of(), "model": "\ud800"}).encode(),  # a lone surrogate
    ],
)
def test_bodies_the_fast_parser_refuses_are_answered_by_django(
    registered_model: RegisteredModel, body: bytes
) -> None:
    fast, slow, app = both(body)
    assert app.served == 0
    assert (fast.status, fast.body, fast.headers) == (slow.status, slow.body, slow.headers)


def test_cors_requests_go_through_django(
    registered_model: RegisteredModel, settings: Settings
) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://frontend.example"]
    body = json.dumps({"pixels": digit_pixels()}).encode()
    fast, slow, app = both(body, headers={"Origin": "https://frontend.example"})
    assert app.served == 0
    assert fast.status == 200
    assert fast.headers["access-control-allow-origin"] == "https://frontend.example"
    assert fast.body == slow.body


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
    registered_model: RegisteredModel, kwargs: dict[str, object]
) -> None:
    body = json.dumps({"pixels": digit_pixels()}).encode()
    fast, slow, app = both(body, **kwargs)
    assert app.served == 0
    assert fast.status == slow.status
    assert fast.status >= 400


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
    app = PredictFastPath(django_app())
    assert app.enabled is False
    assert call(app, json.dumps({"pixels": digit_pixels()}).encode()).status == 200
    assert app.served == 0


def test_default_switch_reaches_the_fast_path(
    two_registered_models: tuple[RegisteredModel, ...],
) -> None:
    first, second = two_registered_models
    app = PredictFastPath(django_app())
    body = json.dumps({"pixels": digit_pixels()}).encode()
    assert json.loads(call(app, body).body)["model"] == first.name
    make_default(second)
    assert json.loads(call(app, body).body)["model"] == second.name
    assert app.served == 2


@pytest.mark.parametrize(
    ("worker_class", "app"),
    [
        (None, "inference.asgi:application"),  # the default: gunicorn's asgi worker
        ("gthread", "inference.wsgi:application"),
    ],
)
def test_gunicorn_serves_the_wrapped_application(
    monkeypatch: pytest.MonkeyPatch, worker_class: str | None, app: str
) -> None:
    import importlib.util
    import os
    from pathlib import Path

    # Loading the settings sets a default in os.environ; restore the original afterwards.
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "unset")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    if worker_class is None:
        monkeypatch.delenv("HIPPO_WORKER_CLASS", raising=False)
    else:
        monkeypatch.setenv("HIPPO_WORKER_CLASS", worker_class)
    conf = Path(__file__).resolve().parents[2] / "hippo_site" / "gunicorn.conf.py"
    spec = importlib.util.spec_from_file_location("gunicorn_conf", conf)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.wsgi_app == app
    assert module.worker_class == (worker_class or "asgi")
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"  # one BLAS thread per worker
    from inference.asgi import PredictFastPathASGI
    from inference.asgi import application as asgi_application
    from inference.wsgi import application

    assert isinstance(application, PredictFastPath)
    assert isinstance(asgi_application, PredictFastPathASGI)
