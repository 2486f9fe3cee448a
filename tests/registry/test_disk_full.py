"""A full disk: `push_model` reports it in one line, the admin answers 503 pages (issue 20).

The issue: on a full disk `push_model` ended in a raw `OSError` traceback, and the admin's log-in,
"Make default" and sync answered 500. The disk is a real small filesystem: a tmpfs mounted for the
test (the tests run as root, as CI does). Where mounting is not permitted, the push test limits the
command's file size instead (`RLIMIT_FSIZE`, SIGXFSZ ignored: writes fail with EFBIG, "File too
large"), and the admin test, which needs SQLite's own "database or disk is full", is skipped.
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from bench.api_throughput import ROOT, hippo_environment
from nn_core.model_files import save_model
from nn_core.network import NeuralNetwork
from registry.stores.local import STAGING_PREFIX
from tests.api.helpers import digit_pixels
from tests.fixtures.networks import model_metadata
from tests.serving.helpers import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    TIMEOUT,
    admin_session,
    csrf_token,
    gunicorn,
    make_project,
    primary_key,
)


@contextlib.contextmanager
def small_disk(path: Path, size: str = "4m") -> Iterator[Path | None]:
    """A tmpfs of `size` mounted at `path`, or None when mounting is not permitted here."""
    path.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        yield None
        return
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(disk: Path) -> Path:
    """Fill `disk` to the last byte; the filler file (delete it to free the space)."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for chunk in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * chunk)
    finally:
        os.close(fd)
    with pytest.raises(OSError, match="No space left") as full:
        (disk / "probe").write_bytes(b"x" * 4096)
    assert full.value.errno == errno.ENOSPC
    (disk / "probe").unlink(missing_ok=True)
    return filler


def write_model(folder: Path, name: str, seed: int) -> Path:
    network = NeuralNetwork([784, 16, 10], seed=seed)
    weights = folder / f"{name}.safetensors"
    save_model(network, weights, model_metadata(network, name, 90.0))
    return weights


def limited_file_size(limit: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def push(env: dict[str, str], weights: Path, **popen: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload,no-any-return]
        [sys.executable, "manage.py", "push_model", "--model-path", str(weights)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **popen,
    )


def store_state(store: Path) -> tuple[str, list[str]]:
    head = (store / "refs" / "main").read_text()
    return head, sorted(path.name for path in (store / "revisions").iterdir())


@pytest.mark.slow
def test_push_model_on_a_full_disk_fails_in_one_line_and_writes_nothing(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    with small_disk(tmp_path / "disk") as disk:
        env = hippo_environment(tmp_path / "data")
        store = (disk or tmp_path / "data") / "local_hub"
        env["HIPPO_LOCAL_HUB"] = str(store)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        first = push(env, write_model(models, "tiny-a", 1))
        assert first.returncode == 0, first.stderr
        before = store_state(store)

        if disk is not None:
            filler = fill(disk)
            failed = push(env, write_model(models, "tiny-b", 2))
        else:  # no mount here: a file-size limit makes the weights' copy fail (EFBIG)
            failed = push(env, write_model(models, "tiny-b", 2), preexec_fn=limited_file_size(4096))
        print(f"{'tmpfs' if disk else 'RLIMIT_FSIZE'}: {failed.stderr.strip()}")

        assert failed.returncode == 1
        assert "Traceback" not in failed.stderr
        lines = failed.stderr.strip().splitlines()
        assert len(lines) == 1, failed.stderr
        assert "cannot write to the local store" in lines[0]
        assert "No space left on device" in lines[0] or "File too large" in lines[0]
        assert store_state(store) == before  # no new revision, the head did not move
        assert not list((store / "revisions").glob(STAGING_PREFIX + "*"))
        assert not list((store / "refs").glob(".main-*"))

        if disk is not None:
            filler.unlink()  # space again: the same push goes through
            again = push(env, write_model(models, "tiny-b", 2))
            assert again.returncode == 0, again.stderr


@pytest.mark.slow
@pytest.mark.own_sqlite
def test_the_admin_answers_503_pages_on_a_full_disk(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        if disk is None:
            pytest.skip("mounting a tmpfs is not permitted here (needs root)")
        project = make_project(tmp_path / "data", f"sqlite:///{disk}/hippo.sqlite3")
        with gunicorn(project) as server:
            base = server.url
            http = admin_session(base)  # logged in while there is room
            changelist = f"{base}/admin/registry/registeredmodel/"
            page = http.get(changelist, timeout=TIMEOUT)
            filler = fill(disk)

            answer = http.post(
                changelist,
                data={
                    "action": "make_default_action",
                    "_selected_action": primary_key(page.text, "serving-b"),
                    "index": "0",
                    "csrfmiddlewaretoken": csrf_token(page.text),
                },
                timeout=TIMEOUT,
            )
            assert answer.status_code == 503, answer.text[:500]
            assert "disk is full" in answer.text
            assert answer.headers["Retry-After"]

            synced = http.post(
                f"{base}/admin/registry/registeredmodel/sync/",
                data={"csrfmiddlewaretoken": csrf_token(page.text)},
                headers={"Referer": changelist},
                timeout=TIMEOUT,
            )
            assert synced.status_code == 503, synced.text[:500]
            assert "disk is full" in synced.text

            fresh = requests.Session()
            login = fresh.get(f"{base}/admin/login/", timeout=TIMEOUT)
            logged = fresh.post(
                f"{base}/admin/login/?next=/admin/",
                data={
                    "username": ADMIN_USER,
                    "password": ADMIN_PASSWORD,
                    "csrfmiddlewaretoken": csrf_token(login.text),
                    "next": "/admin/",
                },
                timeout=TIMEOUT,
            )
            assert logged.status_code == 503, logged.text[:500]
            assert "disk is full" in logged.text

            # Serving only reads: it goes on.
            predicted = requests.post(
                f"{base}/predict", json={"pixels": digit_pixels()}, timeout=TIMEOUT
            )
            assert predicted.status_code == 200, predicted.text
            log = server.log.read_text()
            assert "Internal Server Error" not in log

            filler.unlink()  # space again: the log-in and the same click work
            admin_session(base)
            answer = http.post(
                changelist,
                data={
                    "action": "make_default_action",
                    "_selected_action": primary_key(page.text, "serving-b"),
                    "index": "0",
                    "csrfmiddlewaretoken": csrf_token(page.text),
                },
                timeout=TIMEOUT,
            )
            assert answer.status_code == 200
            assert "serving-b is now the default model." in answer.text.lower()
