"""Helpers of the API tests: JSON requests through the Django test client, and error checks."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.test import Client

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

ERROR_KEYS = {"code", "message", "fields"}


def post_json(client: Client, path: str, body: Any, **extra: Any) -> TestResponse:
    """POST `body` as JSON (a str or bytes body is sent as is)."""
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    response: TestResponse = client.post(path, data=data, content_type="application/json", **extra)
    return response


def assert_error(response: TestResponse, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert an error response in Hippo's envelope; return its `error` object."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert set(error) == ERROR_KEYS, error
    assert isinstance(error["code"], str)
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["fields"], dict)
    for messages in error["fields"].values():
        assert isinstance(messages, list)
        assert all(isinstance(message, str) for message in messages)
    if code is not None:
        assert error["code"] == code, error
    return error


def pixels_of(value: float = 0.5) -> list[float]:
    """784 copies of `value`."""
    return [value] * 784


def digit_pixels() -> list[float]:
    """A simple vertical stroke, like a "1", as 784 pixels."""
    pixels = [0.0] * 784
    for row in range(5, 23):
        for column in (13, 14):
            pixels[row * 28 + column] = 1.0
    return pixels
