"""The robustness set: deterministic, label-preserving distortions of the test digits, and the
command that scores model files on it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from nn_core.model_files import ModelMetadata, save_model
from training.robustness import VARIANTS, accuracies, build_robustness_sets

pytestmark = pytest.mark.mnist


def test_the_sets_are_deterministic_and_keep_the_labels(mnist_splits: Any) -> None:
    test = mnist_splits.test
    first = build_robustness_sets(test.images[:200], test.labels[:200])
    again = build_robustness_sets(test.images[:200], test.labels[:200])
    assert [s.name for s in first] == list(VARIANTS)
    clean = first[0].images
    np.testing.assert_array_equal(clean, test.images[:200])
    for one, two in zip(first, again, strict=True):
        np.testing.assert_array_equal(one.images, two.images)
        np.testing.assert_array_equal(one.labels, test.labels[:200])
        assert one.images.shape == (200, 784)
        assert one.images.dtype == np.float32
        assert one.images.min() >= 0.0
        assert one.images.max() <= 1.0
        if one.name != "clean":
            assert np.abs(one.images - clean).mean() > 0.01, one.name
    ink = {s.name: float(s.images.sum()) for s in first}
    assert ink["thick strokes"] > 1.5 * ink["clean"] > 1.5 * ink["thin strokes"]


def test_a_trained_network_is_scored_and_the_command_prints_a_table(
    trained_network: Any, mnist_splits: Any, tmp_path: Path
) -> None:
    test = mnist_splits.test
    scores = accuracies(trained_network.network, build_robustness_sets(test.images, test.labels))
    assert scores["clean"] == pytest.approx(trained_network.test_accuracy)
    assert scores["mean of the distorted sets"] < scores["clean"]
    network = trained_network.network
    weights = tmp_path / "mlp.safetensors"
    save_model(network, weights, ModelMetadata.for_network(network, "mlp-under-test"))
    out = io.StringIO()
    call_command("evaluate_robustness", str(weights), stdout=out)
    lines = out.getvalue().splitlines()
    assert "mlp-under-test" in lines[0]
    assert lines[1].startswith("clean")
    assert f"{scores['clean']:.2f}%" in lines[1]
    assert len(lines) == len(VARIANTS) + 2


def test_a_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="not found"):
        call_command("evaluate_robustness", str(tmp_path / "none.safetensors"))
