"""The fuzz corpus against a real gunicorn: no 5xx, no hang, every API error in the envelope.

gunicorn runs with `hippo_site/gunicorn.conf.py` (two workers) on a project with two registered
models (`tests.serving.helpers.make_project`) and MNIST; every case of `tests.fuzz.corpus` is sent
over its own socket by two client threads (`tests.fuzz.client`, a 10 s deadline per case), then
the server must still be healthy: `/readyz` ready, a prediction answered, no worker replaced.
Counts per operation and status are printed. The figures of a run on the 2-core development
machine: ~4,300 requests in ~20 s.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from mnist_samples import services
from tests.api.helpers import digit_pixels
from tests.fuzz.checks import problem
from tests.fuzz.client import DEADLINE, Outcome, send
from tests.fuzz.corpus import Case, build_corpus
from tests.serving.helpers import TIMEOUT, Project, gunicorn, make_project

pytestmark = [pytest.mark.slow, pytest.mark.own_sqlite, pytest.mark.mnist]

CLIENTS = 2
"""Client threads: one request in flight per worker, so no large image waits for a decoding
slot (a 503 `busy` is an answer to load, not to the request)."""


def mnist_for(project: Project) -> dict[str, str]:
    """The environment giving the server this session's MNIST.

    `HIPPO_MNIST_DIR` when it is set; otherwise MNIST is only in this checkout's cache, which a
    server finds under its own data directory: a copy is put there.
    """
    source = services.source_dir()
    if source is not None:
        return {"HIPPO_MNIST_DIR": str(source)}
    shutil.copytree(services.cache_dir(), project.data_dir / "mnist", dirs_exist_ok=True)
    return {}


def report(corpus: list[Case], outcomes: list[Outcome]) -> str:
    """A table of answers per operation and status (or `-` with the client's error)."""
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for case, outcome in zip(corpus, outcomes, strict=True):
        table[case.operation][str(outcome.status or f"-{outcome.error}")] += 1
    lines = [
        f"{operation:16} {sum(counts.values()):5}  "
        + " ".join(f"{status}:{count}" for status, count in sorted(counts.items()))
        for operation, counts in sorted(table.items())
    ]
    return "\n".join(lines)


def test_the_fuzz_corpus_gets_no_server_error_and_no_hang(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    corpus = build_corpus(project.models[0])
    assert len(corpus) >= 2000
    with gunicorn(project, workers=2, **mnist_for(project)) as server:
        address = urlsplit(server.url)
        host, port = address.hostname or "127.0.0.1", address.port or 80
        started = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as pool:
            outcomes = list(pool.map(lambda case: send(case, host, port), corpus))
        elapsed = time.monotonic() - started
        ready = requests.get(f"{server.url}/readyz", timeout=TIMEOUT)
        predicted = requests.post(
            f"{server.url}/predict", json={"pixels": digit_pixels()}, timeout=TIMEOUT
        )
        log = server.log.read_text()
    slowest = max(outcome.seconds for outcome in outcomes)
    print(f"\n{len(corpus)} hostile requests in {elapsed:.1f} s (slowest {slowest:.2f} s)")
    print(report(corpus, outcomes))
    problems = [
        f"{case.operation} {case.label!r}: {found}"
        for case, outcome in zip(corpus, outcomes, strict=True)
        if (found := problem(case, outcome))
    ]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])
    assert slowest < DEADLINE
    assert ready.status_code == 200, ready.text
    assert predicted.status_code == 200, predicted.text
    # No worker died or was killed on the way (a crash in a decoder, a timeout).
    assert "Booting worker" in log
    assert log.count("Booting worker") == 2, log[-3000:]
    assert "WORKER TIMEOUT" not in log
    assert "Internal Server Error" not in log
