"""Every HTTP example of README.md, docs/API.md and docs/DEPLOYMENT.md, run as written against a
live server, its answer compared with the documented one.

The examples are extracted by `tests.docs.examples` (the convention is in its docstring and in
docs/API.md, "How the examples are checked"). `curl` blocks run in bash with the real curl, through
a wrapper on `PATH` that records the status and the body; `python` blocks run in this interpreter,
`js` blocks in Node. Only the server's address is substituted (`http://localhost:8000` and
`http://127.0.0.1:8000` become the live server's), and `.venv/bin/python` becomes this
interpreter. The model the docs use is the starter model of `make run`, registered here under its
real name, with its architecture and a random (seeded) set of weights: values that depend on the
weights are the examples' `vary` keys. Examples marked `needs=lstm` also get `LSTM_NAME`, a
seeded random `lstm128,dense10` network (not the default, so the other answers stay as they are).
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from nn_core.model_files import ModelMetadata, save_model
from nn_core.network import NeuralNetwork
from tests.docs.examples import (
    Document,
    Example,
    compare,
    compare_text,
    documented_json,
    http_blocks,
    parse,
    unmarked_http_blocks,
)

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer

    from registry.models import RegisteredModel
    from registry.stores import LocalStore

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("README.md", "docs/API.md", "docs/DEPLOYMENT.md")
DOCUMENTED_URLS = ("http://localhost:8000", "http://127.0.0.1:8000")
STARTER_NAME = "mnist-784-100-10-relu-98"  # what `make run` (manage.py ensure_model) registers
TIMEOUT = 120
# API.md's HTTP examples, counted by hand: a new one must be marked, and this figure updated.
API_EXAMPLES = 23
LSTM_NAME = "mnist-lstm128"
LSTM_LAYERS = "lstm128,dense10"

# The real curl, wrapped: the body goes to a file, the status to another.
CURL_WRAPPER = """#!/bin/sh
exec {curl} --silent --show-error --output "$EXAMPLE_BODY" --write-out '%{{http_code}}\\n' "$@" \\
    >> "$EXAMPLE_STATUS"
"""

DOCUMENTS: dict[str, Document] = {doc: parse(ROOT / doc, doc) for doc in DOCS}
EXAMPLES: list[Example] = [example for doc in DOCS for example in DOCUMENTS[doc].examples]


def starter_metadata(network: NeuralNetwork) -> ModelMetadata:
    """The starter model's metadata as `ensure_model` writes it (its figures as inputs)."""
    config = {
        "sizes": [784, 100, 10],
        "activation": "relu",
        "output": "softmax",
        "cost": "cross_entropy",
        "epochs": 30,
        "mini_batch_size": 32,
        "learning_rate": 0.05,
        "optimizer": "momentum",
        "momentum": 0.9,
        "l2": 0.0002,
        "schedule": "cosine",
        "seed": 0,
    }
    history = [
        {
            "epoch": epoch,
            "train_loss": 0.25 / epoch,
            "validation_accuracy": 95.0 + epoch / 10,
            "validation_loss": 0.15,
            "learning_rate": 0.05,
            "seconds": 0.5,
        }
        for epoch in range(1, 31)
    ]
    return ModelMetadata.for_network(
        network,
        STARTER_NAME,
        metrics={
            "test_accuracy": 98.26,
            "validation_accuracy": 98.16,
            "test_loss": 0.06,
            "per_class_accuracy": [98.0] * 10,
            "confusion_matrix": [[970 if i == j else 1 for j in range(10)] for i in range(10)],
        },
        training={"config": config, "history": history, "seed": 0, "duration_seconds": 14.2},
        description="Starter model (fast recipe, seed 0).",
    )


@pytest.fixture
def starter_model(model_store: LocalStore, tmp_path: Path, db: None) -> RegisteredModel:
    """A 784-100-10 ReLU network registered as the default under the starter model's name."""
    from registry.services import make_default, push_model

    network = NeuralNetwork([784, 100, 10], activation="relu", seed=0)
    weights = tmp_path / f"{STARTER_NAME}.safetensors"
    save_model(network, weights, starter_metadata(network))
    entry = push_model(weights, name=STARTER_NAME, accuracy=98.26, store=model_store)
    make_default(entry)
    entry.refresh_from_db()
    return entry


def register_lstm(model_store: LocalStore, folder: Path) -> RegisteredModel:
    """The recurrent example model: `lstm128,dense10`, random (seeded), under `LSTM_NAME`."""
    from nn_core.layers import parse_layers
    from nn_core.sequential import Sequential
    from registry.services import push_model

    network = Sequential(parse_layers(LSTM_LAYERS), [784], seed=0)
    weights = folder / f"{LSTM_NAME}.safetensors"
    metadata = ModelMetadata.for_network(network, LSTM_NAME, description="An LSTM example.")
    save_model(network, weights, metadata)
    return push_model(weights, name=LSTM_NAME, store=model_store)


def as_written(code: str, base_url: str) -> str:
    """The example's code with only the server's address and the project's Python replaced."""
    for url in DOCUMENTED_URLS:
        code = code.replace(url, base_url)
    return code.replace(".venv/bin/python", sys.executable)


def run(command: list[str], workdir: Path, env: dict[str, str], stdin: str | None = None) -> str:
    """Run a command; return its standard output, failing the test with its output on error."""
    done = subprocess.run(
        command,
        cwd=workdir,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, (
        f"{command[0]} exited {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    )
    return done.stdout


def readable(value: Any) -> str:
    """Indented JSON with long lists shortened, for a diff a reader can follow."""

    def shorten(item: Any) -> Any:
        if isinstance(item, list):
            head = [shorten(inner) for inner in item[:3]]
            return [*head, f"... {len(item)} ..."] if len(item) > 3 else head
        if isinstance(item, dict):
            return {key: shorten(inner) for key, inner in item.items()}
        return item

    return json.dumps(shorten(value), indent=1, sort_keys=True)


def check_json_answer(example: Example, body: str) -> None:
    """Compare a served JSON body with the documented answer; fail with the differences."""
    documented = documented_json(example)
    try:
        served = json.loads(body)
    except json.JSONDecodeError:
        pytest.fail(f"{example.id}: the answer is not JSON: {body[:500]!r}")
    problems = compare(documented, served, example.vary)
    if problems:
        diff = "\n".join(
            difflib.unified_diff(
                readable(documented).splitlines(),
                readable(served).splitlines(),
                "documented",
                "served",
                lineterm="",
            )
        )
        where = f"{example.doc}:{example.request.line}"
        pytest.fail(
            f"{where} ({example.name}) no longer matches:\n" + "\n".join(problems) + "\n" + diff
        )


def example_params() -> list[Any]:
    """One test per example; those that need MNIST are marked `mnist`."""
    return [
        pytest.param(
            example, id=example.id, marks=[pytest.mark.mnist] if "mnist" in example.needs else []
        )
        for example in EXAMPLES
    ]


@pytest.mark.parametrize("example", example_params())
def test_example_runs_as_written(
    example: Example,
    live_server: LiveServer,
    starter_model: RegisteredModel,
    model_store: LocalStore,
    tmp_path: Path,
) -> None:
    if "lstm" in example.needs:
        register_lstm(model_store, tmp_path)
    workdir = tmp_path / "reader"
    workdir.mkdir()
    shims = tmp_path / "bin"
    shims.mkdir()
    real_curl = shutil.which("curl")
    assert real_curl is not None, "the docs' examples need curl"
    wrapper = shims / "curl"
    wrapper.write_text(CURL_WRAPPER.format(curl=real_curl))
    wrapper.chmod(0o755)
    body_file, status_file = tmp_path / "body", tmp_path / "status"
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(shims), str(Path(sys.executable).parent), os.environ["PATH"]]),
        "EXAMPLE_BODY": str(body_file),
        "EXAMPLE_STATUS": str(status_file),
    }
    base = live_server.url
    for block in DOCUMENTS[example.doc].setup:
        run(["bash", "-euo", "pipefail", "-c", as_written(block.code, base)], workdir, env)

    code = as_written(example.request.code, base)
    if example.request.language == "sh":
        run(["bash", "-euo", "pipefail", "-c", code], workdir, env)
        statuses = status_file.read_text().split()
        assert len(statuses) == 1, f"{example.id}: one curl per example, ran {len(statuses)}"
        body = body_file.read_text()
        assert int(statuses[0]) == example.status, (
            f"{example.id}: documented status {example.status}, served {statuses[0]}: {body[:500]}"
        )
        if example.answer is not None:
            assert example.answer.language == "json", f"{example.id}: a curl answer is JSON"
            check_json_answer(example, body)
        return

    if example.request.language == "python":
        script = workdir / "example.py"
        script.write_text(code)
        output = run([sys.executable, str(script)], workdir, env)
    else:
        node = shutil.which("node")
        if node is None:
            pytest.skip("Node.js is not installed: the JavaScript example cannot run")
        script = workdir / "example.mjs"
        script.write_text(code)
        output = run([node, str(script)], workdir, env)
    if example.answer is not None:
        assert compare_text(example.answer.code, output, example.vary), (
            f"{example.id}: documented output\n{example.answer.code}\nprinted\n{output}"
        )


@pytest.mark.parametrize("doc", DOCS)
def test_every_http_block_is_an_example(doc: str) -> None:
    """A new request in the docs cannot go unchecked: every block calling the server is marked."""
    document = DOCUMENTS[doc]
    unmarked = unmarked_http_blocks(document)
    assert not unmarked, [f"{doc}:{block.line}: {block.code.splitlines()[0]}" for block in unmarked]
    assert len(document.examples) == len(http_blocks(document))


def test_api_md_example_count() -> None:
    """The extraction finds every example of API.md (a broken marker would drop one silently)."""
    document = DOCUMENTS["docs/API.md"]
    assert len(document.examples) == API_EXAMPLES
    curl_or_client = [
        block
        for block in document.blocks
        if "curl " in block.code or "requests.post" in block.code or "fetch(" in block.code
    ]
    assert len(curl_or_client) == API_EXAMPLES
    names = [example.name for example in EXAMPLES]
    assert len(names) == len(set(names)), "example names must be unique"
