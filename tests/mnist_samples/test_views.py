"""`GET /mnist/samples` through the Django test client."""

from __future__ import annotations

import pytest
from django.test import Client

from nn_core.mnist import MnistSplits


def test_default_is_ten_test_samples(client: Client, mnist_splits: MnistSplits) -> None:
    response = client.get("/mnist/samples")
    assert response.status_code == 200
    body = response.json()
    assert body["dataset"] == "test"
    assert body["count"] == 10
    assert len(body["samples"]) == 10
    sample = body["samples"][0]
    assert set(sample) == {"index", "label", "pixels"}
    assert len(sample["pixels"]) == 784
    assert all(0.0 <= value <= 1.0 for value in sample["pixels"])
    assert sample["label"] == int(mnist_splits.test.labels[sample["index"]])


def test_a_seed_gives_the_same_samples(client: Client, mnist_splits: MnistSplits) -> None:
    url = "/mnist/samples?count=3&dataset=validation&seed=7"
    first, second = client.get(url).json(), client.get(url).json()
    assert first == second
    assert first["dataset"] == "validation"
    assert [s["index"] for s in first["samples"]] != [
        s["index"] for s in client.get(url.replace("seed=7", "seed=8")).json()["samples"]
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("count=0", "count"),
        ("count=101", "count"),
        ("count=ten", "count"),
        ("dataset=holdout", "dataset"),
        ("seed=-1", "seed"),
    ],
)
def test_bad_queries_are_400(
    client: Client, mnist_splits: MnistSplits, query: str, field: str
) -> None:
    response = client.get(f"/mnist/samples?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert field in error["fields"]


def test_without_mnist_the_answer_is_503_with_the_fix(client: Client, mnist_missing: None) -> None:
    response = client.get("/mnist/samples?count=2")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "mnist_unavailable"
    assert "HIPPO_MNIST_DIR" in error["message"]
    assert "fetch_mnist" in error["message"]
