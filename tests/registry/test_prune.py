"""`prune_store`: the local store keeps what the registry refers to plus the newest N (issue 20).

The issue measured 51 MB for ~15 models after 20 revisions: every revision copies every file.
"""

from __future__ import annotations

import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from bench.api_throughput import ROOT, hippo_environment
from nn_core.model_files import save_model
from nn_core.network import NeuralNetwork
from registry import prune, services
from registry.models import RegisteredModel
from registry.prune import add_reference_source, prune_store, referenced_revisions
from registry.stores import LocalStore
from registry.stores.local import STAGING_PREFIX
from tests.fixtures.networks import model_metadata
from tests.registry.conftest import MakeModel, StoreEnv

NAMES = [f"tiny-{index}" for index in range(5)]


def tree_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def twenty_revisions(make_model: MakeModel) -> None:
    """20 pushes (21 revisions with the store's first one): 5 models, each pushed 4 times."""
    for round_ in range(4):
        for index, name in enumerate(NAMES):
            services.push_model(make_model(name, seed=round_ * 10 + index))


@pytest.mark.django_db
def test_prune_keeps_every_registered_revision_and_the_newest(
    local_env: StoreEnv, make_model: MakeModel
) -> None:
    twenty_revisions(make_model)
    store = LocalStore(local_env.root)
    every = [info.revision for info in store.revisions()]
    assert len(every) == 21
    referenced = referenced_revisions(store)
    assert referenced == set(RegisteredModel.objects.values_list("revision", flat=True))
    before = tree_bytes(local_env.root)

    dry = prune_store(store, keep=3, min_age=0, dry_run=True)
    assert [info.revision for info in store.revisions()] == every  # nothing deleted
    report = prune_store(store, keep=3, min_age=0)

    assert report.deleted == dry.deleted
    assert set(report.kept) == referenced | set(every[:3])
    assert len(report.deleted) == 21 - len(report.kept) > 10
    after = tree_bytes(local_env.root)
    assert report.freed_bytes == before - after > 0
    print(f"pruned {len(report.deleted)} of 21 revisions: {before} -> {after} bytes")
    assert store.head() == every[0]
    for entry in RegisteredModel.objects.all():
        services.load_network(entry, wait=True)  # every registered model still loads
    assert not list((local_env.root / "revisions").glob(STAGING_PREFIX + "*"))

    # A push after a prune builds on the head as usual.
    services.push_model(make_model("tiny-new", seed=99))
    assert prune_store(store, keep=3, min_age=0).deleted == []


@pytest.mark.django_db
def test_more_reference_sources_and_young_revisions_are_kept(
    local_env: StoreEnv, make_model: MakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    for seed in range(4):
        services.push_model(make_model("tiny-a", seed=seed))
    store = LocalStore(local_env.root)
    oldest = store.revisions()[-2].revision  # the first push (the last is the empty store)
    monkeypatch.setattr(prune, "_sources", list(prune._sources))  # undone after the test
    add_reference_source(lambda _store: {oldest})  # e.g. a training run's model

    assert prune_store(store, keep=1, min_age=3600).deleted == []  # all of them are young
    report = prune_store(store, keep=1, min_age=0)

    assert oldest in report.kept
    assert len(report.deleted) == 3  # the empty first revision and two superseded pushes


@pytest.mark.django_db
def test_the_command_reports_and_refuses_the_hub(
    store_env: StoreEnv, make_model: MakeModel
) -> None:
    for seed in range(3):
        services.push_model(make_model("tiny-a", seed=seed))
    if store_env.kind == "hub":
        with pytest.raises(CommandError, match="local store only"):
            call_command("prune_store")
        return
    out = StringIO()
    call_command("prune_store", "--keep", "1", "--min-age", "0", "--dry-run", stdout=out)
    assert "Would delete 3 revisions" in out.getvalue()
    out = StringIO()
    call_command("prune_store", "--keep", "1", "--min-age", "0", stdout=out)
    assert "Deleted 3 revisions" in out.getvalue()
    assert "freed" in out.getvalue()
    with pytest.raises(CommandError, match="must not be negative"):
        call_command("prune_store", "--keep", "-1")


PUSHER = """
import sys, django
django.setup()
from pathlib import Path
from registry.push import push_model
for path in sys.argv[1:]:
    push_model(Path(path))
"""

PRUNER = """
import sys, time, django
django.setup()
from django.conf import settings
from registry.prune import prune_store
from registry.stores import LocalStore
store = LocalStore(settings.HIPPO_LOCAL_HUB)
ends = time.monotonic() + float(sys.argv[1])
deleted = 0
while time.monotonic() < ends:
    deleted += len(prune_store(store, keep=1, min_age=0).deleted)
print(deleted)
"""


@pytest.mark.slow
@pytest.mark.own_sqlite
def test_a_push_during_a_prune_stays_consistent(tmp_path: Path) -> None:
    """Two processes: one pushes 12 times, the other prunes (keep 1) over and over meanwhile."""
    env = {**hippo_environment(tmp_path), "DJANGO_SETTINGS_MODULE": "hippo_site.settings"}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    files = []
    for index in range(12):  # 4 models, each pushed 3 times (one folder per version)
        network = NeuralNetwork([784, 16, 10], seed=index)
        weights = tmp_path / f"v{index}" / f"tiny-{index % 4}.safetensors"
        weights.parent.mkdir()
        save_model(network, weights, model_metadata(network, weights.stem, 90.0))
        files.append(str(weights))

    started = time.monotonic()
    pusher = subprocess.Popen(
        [sys.executable, "-c", PUSHER, *files],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    pruner = subprocess.Popen(
        [sys.executable, "-c", PRUNER, "15"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, push_errors = pusher.communicate(timeout=180)
    pruned, prune_errors = pruner.communicate(timeout=180)
    print(f"12 pushes and {pruned.strip()} pruned revisions in {time.monotonic() - started:.1f} s")

    assert pusher.returncode == 0, push_errors[-2000:]
    assert pruner.returncode == 0, prune_errors[-2000:]
    assert int(pruned) > 0
    check = (
        "from registry.models import RegisteredModel; from registry.loading import load_network\n"
        "rows = list(RegisteredModel.objects.all())\n"
        "[load_network(row, wait=True) for row in rows]\n"
        "print(len(rows), sorted({row.status for row in rows}))"
    )
    done = subprocess.run(
        [*manage, "shell", "-v", "0", "-c", check],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "4 ['available']"
    store = Path(env["HIPPO_LOCAL_HUB"])
    assert not list((store / "revisions").glob(STAGING_PREFIX + "*"))
    assert (store / "revisions" / (store / "refs" / "main").read_text().strip()).is_dir()
