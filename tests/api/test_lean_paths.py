"""The lean `POST /predict` paths answer exactly as Django would, under WSGI and under ASGI.

`inference.fast_path.PredictFastPath` (WSGI) and `inference.asgi.PredictFastPathASGI` (ASGI) make
the same promise, so every case here runs against both: the same request goes to plain Django and
to the lean path in front of it, and status, headers and bytes are compared; the `served` counter
tells which path answered. Cases that only one of them has (gunicorn's configuration aside) live
in `test_asgi_fast_path.py`.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from inference.asgi import PredictFastPathASGI
from inference.fast_path import PredictFastPath
from registry.models import RegisteredModel
from registry.services import make_default
from tests.api.helpers import digit_pixels, pixels_of
from tests.api.lean_paths import PATHS, Answer, LeanApp, LeanPath

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=sorted(PATHS))
def lean(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> LeanPath:
    # As in production: the browser fixtures allow the ORM in async code for Playwright, which
    # would hide an ORM call on the ASGI event loop.
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    return PATHS[request.param]


def test_one_image_is_answered_by_the_lean_path_identically(
    lean: LeanPath, registered_model: RegisteredModel
) -> None:
    body = json.dumps({"pixels": digit_pixels()}).encode()
    fast, slow, app = lean.both(body)
    assert app.served == 1
    assert fast.status == 200
    assert lean.same(fast, slow)
    assert json.loads(fast.body)["model"] == registered_model.name


def test_wsgi_and_asgi_answer_with_the_same_bytes(registered_model: RegisteredModel) -> None:
    body = json.dumps({"pixels": digit_pixels()}).encode()
    answers: list[Answer] = [path.call(path.app(), body) for path in PATHS.values()]
    wsgi, asgi = answers
    assert (wsgi.status, wsgi.body, wsgi.headers) == (asgi.status, asgi.body, asgi.headers)


def test_batch_and_named_model(
    lean: LeanPath, two_registered_models: tuple[RegisteredModel, ...]
) -> None:
    _, second = two_registered_models
    body = json.dumps({"batch": [digit_pixels(), pixels_of(0.2)], "model": second.name}).encode()
    fast, slow, app = lean.both(body)
    assert app.served == 1
    assert lean.same(fast, slow)
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
        # Bodies the fast parser (orjson) refuses or reads differently from Python's json:
        b"\xef\xbb\xbf" + json.dumps({"pixels": pixels_of(0.5)}).encode(),  # byte-order mark
        json.dumps({"pixels": pixels_of(0.5)}).encode("utf-16"),
        b'{"pixels": [1e400' + b", 0.5" * 783 + b"]}",  # inf for json, an error for orjson
        json.dumps({"pixels": [10**30, *pixels_of()[1:]]}).encode(),  # a float for orjson
        json.dumps({"pixels": pixels_of(), "model": "\ud800"}).encode(),  # a lone surrogate
    ],
)
def test_everything_else_is_left_to_django(
    lean: LeanPath, registered_model: RegisteredModel, body: bytes
) -> None:
    fast, slow, app = lean.both(body)
    assert app.served == 0
    assert lean.same(fast, slow)


def test_cors_requests_go_through_django(
    lean: LeanPath, registered_model: RegisteredModel, settings: Settings
) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://frontend.example"]
    body = json.dumps({"pixels": digit_pixels()}).encode()
    fast, slow, app = lean.both(body, headers={"Origin": "https://frontend.example"})
    assert app.served == 0
    assert fast.status == 200
    assert fast.headers["access-control-allow-origin"] == "https://frontend.example"
    assert lean.same(fast, slow)


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
    lean: LeanPath, registered_model: RegisteredModel, kwargs: dict[str, Any]
) -> None:
    body = json.dumps({"pixels": digit_pixels()}).encode()
    fast, slow, app = lean.both(body, **kwargs)
    assert app.served == 0
    assert fast.status >= 400
    assert (fast.status, fast.body) == (slow.status, slow.body)


def test_oversized_body_goes_through_django(
    lean: LeanPath, registered_model: RegisteredModel, settings: Settings
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5_000
    body = json.dumps({"pixels": pixels_of(0.123456)}).encode()
    fast, slow, app = lean.both(body)
    assert app.served == 0
    assert fast.status == slow.status == 413


def test_throttling_turns_the_lean_path_off(
    lean: LeanPath, registered_model: RegisteredModel, settings: Settings
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
        "DEFAULT_THROTTLE_RATES": {"anon": "1000/second"},
    }
    app: LeanApp = lean.app()
    assert app.enabled is False
    assert lean.call(app, json.dumps({"pixels": digit_pixels()}).encode()).status == 200
    assert app.served == 0


def test_default_switch_reaches_the_lean_path(
    lean: LeanPath, two_registered_models: tuple[RegisteredModel, ...]
) -> None:
    first, second = two_registered_models
    app: LeanApp = lean.app()
    body = json.dumps({"pixels": digit_pixels()}).encode()
    assert json.loads(lean.call(app, body).body)["model"] == first.name
    make_default(second)
    assert json.loads(lean.call(app, body).body)["model"] == second.name
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
    from inference.asgi import application as asgi_application
    from inference.wsgi import application as wsgi_application

    assert isinstance(wsgi_application, PredictFastPath)
    assert isinstance(asgi_application, PredictFastPathASGI)
