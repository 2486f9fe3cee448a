"""The HTTP server's own limits (request line, headers) are the ones docs/API.md documents.

gunicorn answers them itself, before the application runs, in the API's JSON envelope
(`hippo_site/gunicorn_errors.py`; docs/API.md, "Limits", says why no API request comes near them).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from gunicorn.config import Config

from bench.api_throughput import ROOT, hippo_environment
from bench.servers import free_port, running, wait_until_up
from tests.serving.helpers import CONFIG, GUNICORN, TIMEOUT

pytestmark = [pytest.mark.slow, pytest.mark.own_sqlite]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """gunicorn with the project's config (one worker); only /healthz is used, no database."""
    data_dir = tmp_path_factory.mktemp("limits")
    port = free_port()
    env = {**hippo_environment(data_dir), "WEB_CONCURRENCY": "1", "HIPPO_BIND": f"127.0.0.1:{port}"}
    log = data_dir / "gunicorn.log"
    with running([str(GUNICORN), "-c", str(CONFIG)], cwd=ROOT, env=env, log=log) as process:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/healthz", process)
        yield base


def test_the_documented_limits_are_the_configured_ones() -> None:
    assert "limit_request" not in CONFIG.read_text()  # the project's config keeps the defaults
    config = Config()
    api = (ROOT / "docs" / "API.md").read_text()
    assert config.limit_request_line == 4094
    assert config.limit_request_fields == 100
    assert config.limit_request_field_size == 8190
    assert "4,094 bytes (gunicorn's `limit_request_line`)" in api
    assert "100 fields of at most 8,190 bytes" in api


def test_a_request_line_over_the_limit_is_a_414(server: str) -> None:
    near = requests.get(f"{server}/healthz?pad={'x' * 3900}", timeout=TIMEOUT)
    assert near.status_code == 200  # just under the limit, the application answers
    over = requests.get(f"{server}/healthz?pad={'x' * 4100}", timeout=TIMEOUT)
    assert over.status_code == 414
    assert over.headers["Content-Type"] == "application/json"
    error = over.json()["error"]
    assert error["code"] == "request_line_too_long"
    assert error["fields"] == {}
    assert "URI Too Long" in error["message"]


def test_too_many_header_fields_are_refused(server: str) -> None:
    headers = {f"X-Pad-{index}": "1" for index in range(120)}
    answer = requests.get(f"{server}/healthz", headers=headers, timeout=TIMEOUT)
    assert answer.status_code in (400, 431)
    assert answer.json()["error"]["code"] in ("bad_request", "headers_too_large")
