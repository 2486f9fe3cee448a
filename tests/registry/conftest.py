"""Fixtures of the registry tests: tiny model files, and settings for either store.

`store_env` is parametrised over both stores, so every test using it runs against the local
folder and against the Hub test double (tests/fixtures/hub_server.py) through the real
huggingface_hub client.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import huggingface_hub.constants
import pytest

from nn_core.layers import parse_layers
from nn_core.model_files import save_model
from nn_core.network import NeuralNetwork
from nn_core.sequential import Sequential
from registry.stores import ModelStore, get_store
from tests.fixtures.hub_server import HubDouble
from tests.fixtures.networks import model_metadata

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

TOKEN = "hf_testtoken_5ecr3t_do_not_leak_0123456789"
REPO_ID = "hippo-test/mnist-models"

# A 1x1 PNG (valid signature and chunks): the training curves of the tests.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
)

MakeModel = Callable[..., Path]


@dataclass
class StoreEnv:
    """The configured store of a test and how to reach it."""

    kind: str
    hub: HubDouble | None
    root: Path

    def store(self) -> ModelStore:
        """The store the settings configure (a new object each time, like the services do)."""
        return get_store()


@pytest.fixture
def make_model(tmp_path: Path) -> MakeModel:
    """`make_model(name, seed=0, sizes=(784, 16, 10), accuracy=91.0, png=False, layers=None)`.

    Returns the weights path. `layers` (the short form, e.g. "conv3x3x4,pool2,dense10") makes a
    convolutional network over 1 × 28 × 28 images instead of the MLP of `sizes`.
    """
    folder = tmp_path / "models"
    folder.mkdir(exist_ok=True)

    def make(
        name: str,
        seed: int = 0,
        sizes: tuple[int, ...] = (784, 16, 10),
        accuracy: float | None = 91.0,
        png: bool = False,
        layers: str | None = None,
    ) -> Path:
        network = (
            Sequential(parse_layers(layers), [1, 28, 28], seed=seed)
            if layers
            else NeuralNetwork(list(sizes), seed=seed)
        )
        weights = folder / f"{name}.safetensors"
        save_model(network, weights, model_metadata(network, name, accuracy))
        if png:
            weights.with_suffix(".png").write_bytes(PNG)
        return weights

    return make


def free_port_url() -> str:
    """A URL on which nothing listens (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def hub_env(
    hub_server: HubDouble,
    tmp_path: Path,
    settings: SettingsWrapper,
    monkeypatch: pytest.MonkeyPatch,
) -> StoreEnv:
    """Settings for the Hub store against the test double, with a valid token and a tmp cache."""
    hub_server.tokens.add(TOKEN)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.delenv("HUGGINGFACE_TOKEN", raising=False)
    # The developer's environment must not switch the client offline during the tests.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    settings.HF_MODEL_REPO = REPO_ID
    settings.HF_ENDPOINT = hub_server.url
    settings.HIPPO_HF_CACHE = tmp_path / "hf-cache"
    settings.DEFAULT_MODEL = ""
    return StoreEnv("hub", hub_server, tmp_path / "hf-cache")


@pytest.fixture
def local_env(tmp_path: Path, settings: SettingsWrapper) -> StoreEnv:
    """Settings for the local store in a tmp folder."""
    root = tmp_path / "local_hub"
    settings.HF_MODEL_REPO = ""
    settings.HIPPO_LOCAL_HUB = root
    settings.DEFAULT_MODEL = ""
    return StoreEnv("local", None, root)


@pytest.fixture(params=["local", "hub"])
def store_env(request: pytest.FixtureRequest) -> StoreEnv:
    """Either store (the test runs twice)."""
    env: StoreEnv = request.getfixturevalue(f"{request.param}_env")
    return env
