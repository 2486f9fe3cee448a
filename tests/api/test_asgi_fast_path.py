"""What only the ASGI lean path (`inference.asgi`) has: bodies in pieces, the event loop, lifespan.

The cases both lean paths share (identical answers, every fallback to Django, the default switch)
are in `test_lean_paths.py`; these compare with Django's ASGI handler the same way. The test
database lives in memory, so the model row is always read from the database: these requests take
the path that runs the prediction on a thread; one test takes the event-loop path with the row
already known.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from asgiref.sync import async_to_sync

from inference import resolver
from inference.asgi import PredictFastPathASGI
from inference.services import warm_up
from registry.models import RegisteredModel
from tests.api.asgi_client import django_app
from tests.api.helpers import digit_pixels, pixels_of
from tests.api.lean_paths import PATHS

pytestmark = pytest.mark.django_db(transaction=True)


ASGI = PATHS["asgi"]
both, same = ASGI.both, ASGI.same


@pytest.fixture(autouse=True)
def orm_refused_on_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in production: the browser fixtures allow the ORM in async code for Playwright."""
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)


def test_a_body_in_pieces(
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


def test_a_refused_body_in_pieces_goes_to_django(registered_model: RegisteredModel) -> None:
    body = b'{"pixels": [1e400' + b", 0.5" * 783 + b"]}"
    fast, slow, app = both(body, chunk_size=4096)
    assert app.served == 0
    assert same(fast, slow)


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
