"""`sync_models` makes a server independent of the Hub (issue 20, item 5).

The issue's scenario: files were cached at the head revision only, while models unchanged since
an earlier push stay pinned to older revisions; a fresh cache, a sync, then a hanging Hub gave
`/predict` 503 `model_downloading` and `/readyz` 503. Here, with real processes: models pushed one
by one to the fake Hub (so each is pinned to its own revision), `manage.py sync_models` into an
empty cache, the Hub made to hang, then gunicorn started on that cache: every model the registry
lists must answer.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from bench.api_throughput import hippo_environment
from nn_core.model_files import save_model
from nn_core.network import NeuralNetwork
from tests.api.helpers import digit_pixels
from tests.fixtures.hub_server import running_hub_double
from tests.fixtures.networks import model_metadata
from tests.serving.helpers import TIMEOUT, Project, gunicorn

pytestmark = [pytest.mark.slow, pytest.mark.own_sqlite]

TOKEN = "hf_serving_token_not_secret_0123456789"
REPO_ID = "hippo-test/serving-models"
MODELS = [("pinned-a", (784, 24, 10)), ("pinned-b", (784, 16, 10)), ("head-c", (784, 8, 10))]


def test_a_server_started_after_a_sync_serves_every_model_with_the_hub_hanging(
    tmp_path: Path,
) -> None:
    with running_hub_double() as hub:
        hub.tokens.add(TOKEN)
        env = hippo_environment(tmp_path)
        env.update(
            {
                "HF_MODEL_REPO": REPO_ID,
                "HF_ENDPOINT": hub.url,
                "HF_TOKEN": TOKEN,
                "HF_HUB_OFFLINE": "0",
                "HF_HOME": str(tmp_path / "hf-home"),
                "HIPPO_HF_CACHE": str(tmp_path / "push-cache"),
                "HIPPO_HUB_DEADLINE": "8",
                "HIPPO_HUB_RETRY_AFTER": "1",
            }
        )
        project = Project(tmp_path, env)
        project.manage("migrate", "--noinput", "-v", "0")
        folder = tmp_path / "models"
        folder.mkdir()
        for seed, (name, sizes) in enumerate(MODELS, start=1):
            network = NeuralNetwork(list(sizes), seed=seed)
            weights = folder / f"{name}.safetensors"
            save_model(network, weights, model_metadata(network, name, 90.0 + seed))
            project.manage("push_model", "--model-path", str(weights))
            project.models.append(name)
        revisions = set(hub.repos[REPO_ID].commits)
        assert len(revisions) == len(MODELS) + 1  # each model at its own revision (+ creation)

        # The server's cache starts empty: only the sync may fill it.
        server_cache = str(tmp_path / "server-cache")
        started = time.monotonic()
        report = project.manage("sync_models", HIPPO_HF_CACHE=server_cache)
        print(f"sync into an empty cache: {time.monotonic() - started:.1f} s\n{report}")
        assert "not cached" not in report

        hub.set_mode("hanging")
        with gunicorn(project, HIPPO_HF_CACHE=server_cache) as server:
            ready = requests.get(f"{server.url}/readyz", timeout=TIMEOUT)
            assert ready.status_code == 200, ready.text
            listed = requests.get(f"{server.url}/models", timeout=TIMEOUT).json()
            names = sorted(model["name"] for model in listed["models"])
            assert names == sorted(project.models)
            for name in names:
                answer = requests.post(
                    f"{server.url}/predict",
                    json={"pixels": digit_pixels(), "model": name},
                    timeout=TIMEOUT,
                )
                assert answer.status_code == 200, (name, answer.text)
                assert answer.json()["model"] == name
        assert hub.hung == 0, "the server asked the Hub for something"
