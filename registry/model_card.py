"""The repository's README.md: a Hub model card listing every model of the repository.

The YAML front matter is built with huggingface_hub's `ModelCardData` and `EvalResult`
(`library_name`, tags, and a `model-index` entry with the test accuracy of each model); the body is
plain Markdown (no Jinja template, so no extra dependency). `huggingface_hub.ModelCard.load` reads
the result; its `data` keeps one model-index entry only, so read all of them with `metadata_load`.

The front matter also records the SHA-256 of each model's weights and metadata as pushed
(`hippo.sha256`: `{"<name>.safetensors": ..., "<name>.json": ...}`), a reference that travels with
the repository: `sync_models` checks downloads against it when the store itself lists no checksum
(the Hub's LFS pointers cover the weights only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from huggingface_hub import EvalResult, ModelCardData, RepoCard
from huggingface_hub.repocard_data import eval_results_to_model_index

from nn_core.layers import describe_architecture

LIBRARY_NAME = "hippo"
TAGS = ["mnist", "image-classification", "numpy", "safetensors", "hippo"]
DATASET = "ylecun/mnist"


@dataclass(frozen=True)
class CardEntry:
    """What the card says about one model.

    Attributes:
        name: The model's name (its files are `<name>.safetensors` and `<name>.json`).
        sizes: Layer sizes, e.g. [784, 100, 10].
        activation: Hidden activation.
        output: Output layer ("softmax" or "sigmoid").
        test_accuracy: Percent, or None when unknown.
        description: Free text.
        has_image: Whether `<name>.png` (the training curves) is in the repository.
        size_bytes: Size of the weights file.
        sha256: SHA-256 of the weights file as pushed (None when unknown).
        metadata_sha256: SHA-256 of the metadata file as pushed (None when unknown: a model
            pushed before it was recorded).
        layers: The architecture as layer specs (empty: the fully connected `sizes`).
        input_shape: One sample's shape, e.g. [1, 28, 28] for a convolutional network.
    """

    name: str
    sizes: Sequence[int]
    activation: str
    output: str
    test_accuracy: float | None = None
    description: str = ""
    has_image: bool = False
    size_bytes: int | None = None
    sha256: str | None = None
    metadata_sha256: str | None = None
    layers: Sequence[dict[str, Any]] = ()
    input_shape: Sequence[int] = ()

    @property
    def architecture(self) -> str:
        """The sizes (784-100-10) for an MLP; the input shape and the layers for other networks."""
        return describe_architecture(self.sizes, self.activation, self.layers, self.input_shape)


def _model_index(entries: Sequence[CardEntry]) -> list[dict[str, Any]]:
    index: list[dict[str, Any]] = []
    for entry in entries:
        if entry.test_accuracy is None:
            continue
        result = EvalResult(
            task_type="image-classification",
            task_name="Image Classification",
            dataset_type=DATASET,
            dataset_name="MNIST",
            dataset_split="test",
            metric_type="accuracy",
            metric_name="Test accuracy",
            metric_value=round(float(entry.test_accuracy), 4),
        )
        index.extend(eval_results_to_model_index(entry.name, [result]))
    return index


def card_data(entries: Sequence[CardEntry]) -> ModelCardData:
    """The card's front matter (one `model-index` entry per model with a test accuracy)."""
    data = ModelCardData(
        library_name=LIBRARY_NAME,
        tags=list(TAGS),
        datasets=[DATASET],
        metrics=["accuracy"],
        pipeline_tag="image-classification",
    )
    index = _model_index(entries)
    if index:
        # ModelCardData models a single model; a multi-model repository lists one entry each.
        data["model-index"] = index
    checksums = {
        f"{entry.name}.safetensors": entry.sha256 for entry in entries if entry.sha256 is not None
    }
    checksums.update(
        {
            f"{entry.name}.json": entry.metadata_sha256
            for entry in entries
            if entry.metadata_sha256 is not None
        }
    )
    if checksums:
        data[CHECKSUMS_KEY] = {"sha256": checksums}
    return data


CHECKSUMS_KEY = "hippo"


def card_checksums(text: str) -> dict[str, str]:
    """The `{file: sha256}` recorded in a card's front matter ({} when none or unreadable)."""
    return read_card_checksums(text) or {}


def read_card_checksums(text: str) -> dict[str, str] | None:
    """The `{file: sha256}` of a card's front matter; None when the card is not one Hippo wrote.

    None means: no front matter, front matter that is not a YAML mapping, or no `hippo` section,
    i.e. garbage (a damaged download) or a card from before checksums were recorded. The caller
    should not keep such a file in a cache.
    """
    if not text.startswith("---"):
        return None
    try:
        section = RepoCard(text).data.get(CHECKSUMS_KEY)
    except (ValueError, TypeError, yaml.YAMLError):  # front matter that is not a YAML mapping
        return None
    values = section.get("sha256") if isinstance(section, dict) else None
    if not isinstance(values, dict):
        return None
    return {str(name): str(value) for name, value in values.items() if isinstance(value, str)}


def _accuracy(entry: CardEntry) -> str:
    return "n/a" if entry.test_accuracy is None else f"{entry.test_accuracy:.2f} %"


def _size(entry: CardEntry) -> str:
    return "n/a" if entry.size_bytes is None else f"{entry.size_bytes / 1024:.0f} KiB"


def _body(repo_id: str, entries: Sequence[CardEntry]) -> str:
    lines = [
        f"# {repo_id.rsplit('/', 1)[-1]}",
        "",
        "Small networks (fully connected or convolutional) that classify MNIST digits, trained "
        "with Hippo (pure NumPy). Each model is `<name>.safetensors` (tensors "
        "`layers.{l}.weight` and `layers.{l}.bias` of the l-th layer with parameters: (out, in) "
        "for dense layers, (filters, channels, kh, kw) for convolutions) with its metadata in "
        "`<name>.json` (the architecture as layer specs, metrics, training history) and, when "
        "present, its training curves in `<name>.png`.",
        "",
        "## Models",
        "",
    ]
    if not entries:
        lines.append("No model yet.")
    else:
        lines += [
            "| Model | Architecture | Activation | Test accuracy | Weights |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| `{e.name}` | {e.architecture} | {e.activation} / {e.output} | {_accuracy(e)} "
            f"| [{e.name}.safetensors]({e.name}.safetensors) ({_size(e)}) |"
            for e in entries
        ]
    for entry in entries:
        lines += ["", f"### {entry.name}", ""]
        if entry.description:
            lines += [entry.description, ""]
        lines.append(
            f"Architecture {entry.architecture}, {entry.activation} activations, "
            f"{entry.output} output; test accuracy {_accuracy(entry)}."
        )
        if entry.has_image:
            lines += ["", f"![Training curves of {entry.name}]({entry.name}.png)"]
    lines += [
        "",
        "## Usage",
        "",
        "```bash",
        f"HF_MODEL_REPO={repo_id} python manage.py sync_models",
        "```",
        "",
    ]
    return "\n".join(lines)


def render_model_card(repo_id: str, entries: Sequence[CardEntry]) -> str:
    """The README.md of the repository `repo_id` listing `entries` (sorted by name)."""
    ordered = sorted(entries, key=lambda entry: entry.name)
    # Not round-tripped through `ModelCard`: parsing would fold the model-index into one model.
    return f"---\n{card_data(ordered).to_yaml()}\n---\n\n{_body(repo_id, ordered)}"
