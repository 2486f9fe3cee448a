"""At `LOG_LEVEL=DEBUG`, a token echoed by the Hub never reaches the log (a real process).

The Hub test double echoes the `Authorization` header it received in its 401 body; huggingface_hub
and httpx2 log requests and answers at DEBUG. `manage.py sync_models` runs in a subprocess with the
project's own logging settings, and its whole output is searched for the token.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from registry.log_redaction import RedactSecrets
from tests.fixtures.hub_server import HubDouble
from tests.registry.conftest import REPO_ID

ROOT = Path(__file__).resolve().parents[2]
ECHOED = "hf_echoedByTheHub_d0_not_l0g_0123456789"


def run_sync(hub: HubDouble, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HF_", "HIPPO_", "HUGGINGFACE_"))
    }
    env.update(
        {
            "LOG_LEVEL": "DEBUG",
            "HIPPO_DATA_DIR": str(tmp_path),
            "HF_HOME": str(tmp_path / "hf-home"),
            "HF_MODEL_REPO": REPO_ID,
            "HF_ENDPOINT": hub.url,
            "HF_TOKEN": ECHOED,  # unknown to the double: 401 with the header echoed
            "HIPPO_HUB_DEADLINE": "20",
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", "sync_models"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_echoed_token_never_reaches_the_debug_log(hub_server: HubDouble, tmp_path: Path) -> None:
    done = run_sync(hub_server, tmp_path)

    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "rejected the token (HTTP 401)" in output
    assert " DEBUG " in output  # the debug log was on
    assert ("GET", f"/api/models/{REPO_ID}") in hub_server.requests
    assert ECHOED not in output
    assert ECHOED[:12] not in output


def test_the_filter_redacts_message_arguments_and_tracebacks() -> None:
    record = logging.LogRecord(
        "httpx2", logging.DEBUG, __file__, 1, "answer %s", ("Bearer abcdefgh12345678",), None
    )
    try:
        raise ValueError(f"got {ECHOED!r}")
    except ValueError:
        record.exc_info = sys.exc_info()
    assert RedactSecrets().filter(record)
    text = logging.Formatter().format(record)
    assert "abcdefgh12345678" not in text
    assert ECHOED not in text
    assert "answer ***" in text
    assert "ValueError" in text
