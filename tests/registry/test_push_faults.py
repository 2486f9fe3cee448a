"""Pushes under faults: concurrent pushes lose no commit; a push killed in staging leaves nothing.

The process tests run `manage.py push_model` as real processes on a temporary project (its own
SQLite database and local store); the in-process tests force the race deterministically: another
push commits between a push's reading of the head and its commit, on both stores.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.api_throughput import hippo_environment
from nn_core.model_files import save_model
from nn_core.network import NeuralNetwork
from registry import push as push_module
from registry import services
from registry.errors import CommitConflict
from registry.model_card import card_checksums
from registry.models import RegisteredModel
from registry.stores import HubStore, LocalStore, Snapshot
from registry.stores.base import ModelStore
from registry.stores.local import STAGING_PREFIX
from tests.fixtures.hub_server import running_hub_double
from tests.fixtures.networks import model_metadata
from tests.registry.conftest import REPO_ID, TOKEN, MakeModel, StoreEnv

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
WAIT = 120.0
"""The longest any one subprocess may take (they take seconds)."""

KILLED_PUSH = """
import os, sys, time
from pathlib import Path
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hippo_site.settings")
import django
django.setup()
import shutil
from django.core.management import call_command

real_copy = shutil.copyfile

def copy_then_stall(source, target, *args, **kwargs):
    result = real_copy(source, target, *args, **kwargs)
    if ".tmp-" in str(target):
        Path(sys.argv[2]).write_text(str(target))
        time.sleep(120)  # killed here, in the middle of staging
    return result

shutil.copyfile = copy_then_stall
call_command("push_model", "--model-path", sys.argv[1])
"""
"""A real `push_model` whose staging stalls after its first copy (the test kills it there)."""

SYNCHRONISED_PUSH = """
import os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hippo_site.settings")
import django
django.setup()
from django.core.management import call_command
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # start together with the others
call_command("push_model", "--model-path", sys.argv[1])
"""
"""A real `push_model` that starts at a given wall-clock time, so several race for the store."""


@pytest.fixture
def project(tmp_path: Path) -> dict[str, str]:
    """The environment of a migrated temporary project using a local store."""
    env = hippo_environment(tmp_path / "data")
    env["LOG_LEVEL"] = "INFO"
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=WAIT,
    )
    return env


def model_file(folder: Path, name: str, seed: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    network = NeuralNetwork([784, 16, 10], seed=seed)
    weights = folder / f"{name}.safetensors"
    save_model(network, weights, model_metadata(network, name, 90.0 + seed))
    return weights


def push_command(weights: Path) -> list[str]:
    return [PYTHON, "manage.py", "push_model", "--model-path", str(weights)]


def registered(env: dict[str, str]) -> list[str]:
    database = Path(env["HIPPO_DATA_DIR"]) / "hippo.sqlite3"
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT name FROM registry_registeredmodel ORDER BY name")
        return [row[0] for row in rows]


def leftovers(store: Path) -> list[Path]:
    return [
        *(store / "revisions").glob(STAGING_PREFIX + "*"),
        *(store / "refs").glob(".main-*"),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["local", "hub"])
def test_concurrent_push_processes_lose_no_commit(
    project: dict[str, str], tmp_path: Path, kind: str
) -> None:
    names = ["alpha", "bravo", "charlie"]
    files = [model_file(tmp_path / "models", name, seed) for seed, name in enumerate(names)]
    with running_hub_double() as hub:
        hub.tokens.add(TOKEN)
        env = dict(project)
        store: ModelStore = LocalStore(Path(project["HIPPO_LOCAL_HUB"]))
        if kind == "hub":
            env.update(
                {
                    "HF_MODEL_REPO": REPO_ID,
                    "HF_ENDPOINT": hub.url,
                    "HF_TOKEN": TOKEN,
                    "HF_HOME": str(tmp_path / "hf-home"),
                }
            )
            store = HubStore(REPO_ID, token=TOKEN, endpoint=hub.url, cache_dir=tmp_path / "cache")

        start = f"{time.time() + 8:.3f}"  # after every process has set Django up
        processes = [
            subprocess.Popen(
                [PYTHON, "-c", SYNCHRONISED_PUSH, str(weights), start],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for weights in files
        ]
        outputs = [process.communicate(timeout=WAIT)[0] for process in processes]

        assert [process.returncode for process in processes] == [0, 0, 0], "\n\n".join(outputs)
        head = store.snapshot()
        assert head is not None
        assert {f"{name}.safetensors" for name in names} <= set(head.files)
        card = store.fetch("README.md", head.revision).read_text()
    diagnosis = card[:1500] + "\n\n".join(outputs)
    recorded = {f"{name}{suffix}" for name in names for suffix in (".safetensors", ".json")}
    assert set(card_checksums(card)) == recorded, diagnosis
    assert registered(project) == names
    if kind == "local":
        assert not leftovers(Path(project["HIPPO_LOCAL_HUB"]))
    retried = sum("attempt" in output for output in outputs)
    print(f"\n{kind}: {retried} of {len(names)} concurrent pushes were overtaken, committed again")


@pytest.mark.slow
def test_a_push_killed_while_staging_leaves_nothing_after_the_next_push(
    project: dict[str, str], tmp_path: Path
) -> None:
    store = Path(project["HIPPO_LOCAL_HUB"])
    models = tmp_path / "models"
    first = subprocess.run(
        push_command(model_file(models, "alpha", 0)),
        cwd=ROOT,
        env=project,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert first.returncode == 0, first.stdout + first.stderr
    marker = tmp_path / "staging-started"
    victim = subprocess.Popen(
        [PYTHON, "-c", KILLED_PUSH, str(model_file(models, "bravo", 1)), str(marker)],
        cwd=ROOT,
        env=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        started = time.monotonic()
        while not marker.exists():
            assert victim.poll() is None, "the push ended before staging"
            assert time.monotonic() - started < WAIT, "the push never reached staging"
            time.sleep(0.05)
        assert leftovers(store), "staging should be under way"
    finally:
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=WAIT)
    assert victim.returncode == -signal.SIGKILL
    assert leftovers(store)  # what the killed push left behind

    after = subprocess.run(
        push_command(model_file(models, "charlie", 2)),
        cwd=ROOT,
        env=project,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )

    assert after.returncode == 0, after.stdout + after.stderr
    assert not leftovers(store)
    head = LocalStore(store).snapshot()
    assert head is not None
    assert {"alpha.safetensors", "charlie.safetensors"} <= set(head.files)
    assert "bravo.safetensors" not in head.files  # never committed
    assert registered(project) == ["alpha", "charlie"]


# --- the race, forced -----------------------------------------------------------------------------


def interleave(
    monkeypatch: pytest.MonkeyPatch, make_model: MakeModel, names: list[str]
) -> list[str]:
    """Make another push commit right after each of the next reads of the head by a push."""
    pushed: list[str] = []
    real = push_module._card_entries
    pending = list(names)

    def racing(store: ModelStore, head: Snapshot | None, slug: str) -> list[object]:
        entries = real(store, head, slug)
        if pending and slug not in names:
            other = pending.pop(0)
            services.push_model(make_model(other, seed=len(pushed) + 5), store=store)
            pushed.append(other)
        return entries  # type: ignore[return-value]

    monkeypatch.setattr(push_module, "_card_entries", racing)
    return pushed


@pytest.mark.django_db
def test_a_push_overtaken_by_another_retries_and_keeps_both(
    store_env: StoreEnv, make_model: MakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.push_model(make_model("tiny-a"))
    overtaking = interleave(monkeypatch, make_model, ["tiny-b"])

    entry = services.push_model(make_model("tiny-c", seed=2))

    assert overtaking == ["tiny-b"]
    head = store_env.store().snapshot()
    assert head is not None
    assert head.revision == entry.revision
    names = {"tiny-a.safetensors", "tiny-b.safetensors", "tiny-c.safetensors"}
    assert names <= set(head.files)
    card = store_env.store().fetch("README.md", head.revision).read_text()
    metadata_names = {name.replace(".safetensors", ".json") for name in names}
    assert set(card_checksums(card)) == names | metadata_names
    assert set(RegisteredModel.objects.values_list("name", flat=True)) == {
        "tiny-a",
        "tiny-b",
        "tiny-c",
    }


@pytest.mark.django_db
def test_a_push_overtaken_every_time_says_what_to_do(
    local_env: StoreEnv, make_model: MakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.push_model(make_model("tiny-a"))
    others = [f"other-{index}" for index in range(push_module.COMMIT_ATTEMPTS)]
    interleave(monkeypatch, make_model, others)

    with pytest.raises(CommitConflict, match="nothing was written for it: run push_model again"):
        services.push_model(make_model("tiny-c", seed=2))

    head = local_env.store().snapshot()
    assert head is not None
    assert "tiny-c.safetensors" not in head.files
    assert {f"{name}.safetensors" for name in others} <= set(head.files)
    assert not RegisteredModel.objects.filter(name="tiny-c").exists()
