"""``ensure_model`` (run by ``make run``) against the local store in a tmp folder."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import huggingface_hub.constants
import pytest
from django.core.management import call_command

from nn_core.network import NeuralNetwork
from registry import services as registry_services
from registry.models import RegisteredModel

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

    from tests.fixtures.networks import RegisterNetwork

QUICK = ["--epochs", "1", "--limit-train", "2000"]


@pytest.fixture
def local_store(tmp_path: Path, settings: SettingsWrapper) -> Path:
    """The local store and the models directory in tmp folders; no DEFAULT_MODEL."""
    settings.HF_MODEL_REPO = ""
    settings.HIPPO_LOCAL_HUB = tmp_path / "local_hub"
    settings.HIPPO_MODELS_DIR = tmp_path / "models"
    settings.DEFAULT_MODEL = ""
    return tmp_path / "local_hub"


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("ensure_model", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_trains_pushes_and_defaults_a_starter_model_once(
    local_store: Path, tmp_path: Path, mnist_splits: Any
) -> None:
    out, _ = _run(*QUICK)
    assert "training a starter model" in out
    entry = RegisteredModel.objects.get()
    assert entry.is_default
    assert entry.status == "available"
    assert entry.store == "local"
    assert entry.name.startswith("mnist-784-100-10-relu-")
    assert entry.training["seed"] == 0
    assert entry.test_accuracy is not None
    assert entry.test_accuracy > 70.0  # 2,000 images, one epoch
    assert any(local_store.rglob(entry.filename))  # in the store (layout: the store's business)
    assert (tmp_path / "models" / entry.filename).is_file()
    network = registry_services.load_network(entry)
    assert network.sizes == [784, 100, 10]
    assert f"registered {entry.name} and made it the default" in out

    out, _ = _run(*QUICK)
    assert f"model {entry.name} is available (the default): nothing to do" in out
    assert RegisteredModel.objects.count() == 1

    # Available but not default (e.g. the admin cleared it): the most accurate becomes default.
    RegisteredModel.objects.update(is_default=False)
    out, _ = _run(*QUICK)
    assert f"model {entry.name} is available; made it the default" in out
    assert RegisteredModel.objects.get().is_default


@pytest.mark.django_db
@pytest.mark.usefixtures("mnist_missing")
def test_without_mnist_it_warns_and_exits_zero(local_store: Path) -> None:
    _, err = _run(*QUICK)
    assert "MNIST is not available" in err
    assert "the service starts without a model" in err
    assert RegisteredModel.objects.count() == 0
    assert not local_store.exists() or not any(local_store.glob("*.safetensors"))


@pytest.mark.django_db
def test_a_refused_push_is_a_warning_and_the_files_stay(
    hub_server: Any,
    tmp_path: Path,
    settings: SettingsWrapper,
    monkeypatch: pytest.MonkeyPatch,
    mnist_splits: Any,
) -> None:
    # The Hub store (a local test double) without any token: the push cannot happen.
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGINGFACE_TOKEN", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    settings.HF_MODEL_REPO = "hippo-test/starter"
    settings.HF_ENDPOINT = hub_server.url
    settings.HIPPO_HF_CACHE = tmp_path / "hf-cache"
    settings.HIPPO_MODELS_DIR = tmp_path / "models"
    settings.DEFAULT_MODEL = ""

    _, err = _run(*QUICK)
    assert "could not publish the starter model" in err
    assert "HF_TOKEN" in err
    assert "manage.py push_model --model-path" in err
    assert RegisteredModel.objects.count() == 0
    assert len(list((tmp_path / "models").glob("mnist-784-100-10-relu-*.safetensors"))) == 1


@pytest.mark.django_db
def test_an_available_default_model_setting_is_made_the_default(
    register_network: RegisterNetwork, settings: SettingsWrapper
) -> None:
    # The registry's rule (as after a sync): DEFAULT_MODEL wins over the most accurate model.
    register_network(NeuralNetwork([784, 16, 10], seed=0), "best", accuracy=95.0)
    register_network(NeuralNetwork([784, 16, 10], seed=1), "chosen", accuracy=80.0)
    RegisteredModel.objects.update(is_default=False)
    settings.DEFAULT_MODEL = "chosen"

    out, err = _run("--no-sync")

    assert "model chosen is available; made it the default" in out, err
    assert RegisteredModel.objects.get(is_default=True).name == "chosen"


@pytest.mark.django_db
def test_a_default_model_setting_naming_no_available_model_is_waited_for(
    register_network: RegisterNetwork, settings: SettingsWrapper
) -> None:
    register_network(NeuralNetwork([784, 16, 10], seed=0), "best", accuracy=95.0)
    RegisteredModel.objects.update(is_default=False)
    settings.DEFAULT_MODEL = "missing"

    _, err = _run("--no-sync")

    assert "DEFAULT_MODEL 'missing' is not one of them" in err
    assert not RegisteredModel.objects.filter(is_default=True).exists()  # no other model chosen


@pytest.mark.django_db
def test_without_a_default_model_setting_the_most_accurate_becomes_default(
    register_network: RegisterNetwork,
) -> None:
    register_network(NeuralNetwork([784, 16, 10], seed=0), "unrated", accuracy=None)
    register_network(NeuralNetwork([784, 16, 10], seed=1), "weaker", accuracy=80.0)
    register_network(NeuralNetwork([784, 16, 10], seed=2), "stronger", accuracy=90.0)
    RegisteredModel.objects.update(is_default=False)

    out, _ = _run("--no-sync")

    assert "model stronger is available; made it the default" in out
    assert RegisteredModel.objects.get(is_default=True).name == "stronger"
