"""`GET /models/{name}/examples`: MNIST images by label and by the model's prediction."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
import yaml
from django.core.management import call_command
from django.test import Client

from inference import examples
from tests.api.helpers import assert_error

if TYPE_CHECKING:
    from nn_core.mnist import MnistSplits
    from registry.models import RegisteredModel
    from tests.fixtures.networks import TrainedNetwork

pytestmark = pytest.mark.django_db


def expected_answers(network: Any, splits: MnistSplits) -> tuple[np.ndarray, np.ndarray]:
    """The test split's labels and the network's digits, computed here independently."""
    return splits.test.labels, network.predict(splits.test.images).digits


def test_a_confusion_cell_returns_exactly_those_images(
    client: Client,
    trained_model: RegisteredModel,
    trained_network: TrainedNetwork,
    mnist_splits: MnistSplits,
) -> None:
    labels, digits = expected_answers(trained_network.network, mnist_splits)
    # The most frequent confusion of this network, so the cell is never empty.
    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (labels, digits), 1)
    np.fill_diagonal(confusion, 0)
    true, predicted = np.unravel_index(int(confusion.argmax()), confusion.shape)
    wanted = np.flatnonzero((labels == true) & (digits == predicted))

    response = client.get(
        f"/models/{trained_model.name}/examples",
        {"true": int(true), "predicted": int(predicted), "count": 5},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["model"] == trained_model.name
    assert body["dataset"] == "test"
    assert (body["true"], body["predicted"], body["mistakes"]) == (true, predicted, False)
    assert body["total"] == len(wanted)
    assert body["count"] == min(5, len(wanted))
    assert [e["index"] for e in body["examples"]] == wanted[:5].tolist()
    for example in body["examples"]:
        assert example["label"] == true
        assert example["predicted"] == predicted
        assert 0.0 < example["confidence"] <= 1.0
        assert np.allclose(example["pixels"], mnist_splits.test.images[example["index"]], atol=1e-6)


def test_mistakes_only_and_paging(
    client: Client,
    trained_model: RegisteredModel,
    trained_network: TrainedNetwork,
    mnist_splits: MnistSplits,
) -> None:
    labels, digits = expected_answers(trained_network.network, mnist_splits)
    wrong = np.flatnonzero(labels != digits)

    first = client.get(f"/models/{trained_model.name}/examples?mistakes=true&count=3").json()
    second = client.get(
        f"/models/{trained_model.name}/examples?mistakes=true&count=3&offset=3"
    ).json()

    assert first["total"] == second["total"] == len(wrong)
    assert [e["index"] for e in first["examples"] + second["examples"]] == wrong[:6].tolist()
    assert all(e["label"] != e["predicted"] for e in first["examples"])


def test_predictions_are_computed_once_per_network_and_split(
    client: Client,
    trained_model: RegisteredModel,
    monkeypatch: pytest.MonkeyPatch,
    mnist_splits: MnistSplits,
) -> None:
    calls: list[int] = []
    real = examples.predict_split

    def counting(network: Any, images: np.ndarray) -> examples.SplitPredictions:
        calls.append(len(images))
        return real(network, images)

    monkeypatch.setattr(examples, "predict_split", counting)
    examples._cache.clear()
    for digit in (1, 2, 3):
        assert client.get(f"/models/{trained_model.name}/examples?true={digit}").status_code == 200
    assert (
        client.get(f"/models/{trained_model.name}/examples?dataset=validation").status_code == 200
    )
    assert calls == [len(mnist_splits.test), len(mnist_splits.validation)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("true=10", "true"),
        ("predicted=-1", "predicted"),
        ("true=x", "true"),
        ("count=0", "count"),
        ("count=101", "count"),
        ("offset=-2", "offset"),
        ("dataset=holdout", "dataset"),
        ("mistakes=maybe", "mistakes"),
    ],
)
def test_bad_parameters_are_400_naming_the_field(
    client: Client, registered_model: RegisteredModel, query: str, field: str
) -> None:
    response = client.get(f"/models/{registered_model.name}/examples?{query}")
    error = assert_error(response, 400, "invalid_input")
    assert list(error["fields"]) == [field]


def test_unknown_model_is_404(client: Client, registered_model: RegisteredModel) -> None:
    assert_error(client.get("/models/no-such-model/examples"), 404, "model_not_found")


def test_missing_mnist_is_503(
    client: Client, registered_model: RegisteredModel, mnist_missing: Any
) -> None:
    assert_error(client.get(f"/models/{registered_model.name}/examples"), 503, "mnist_unavailable")


def test_the_endpoint_is_documented(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    operation = yaml.safe_load(path.read_text())["paths"]["/models/{name}/examples"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert names == {"name", "true", "predicted", "mistakes", "count", "offset", "dataset"}
    assert operation["responses"]["200"]["content"]["application/json"]["examples"]
    assert {"400", "404", "409", "503"} <= set(operation["responses"])
