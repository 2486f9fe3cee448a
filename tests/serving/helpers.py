"""Real server processes for the serving tests: a project, gunicorn instances, load, the admin.

A project is a temporary data directory (local model store, model files) and a database: the SQLite
file in that directory, or a fresh database on the PostgreSQL server of DATABASE_URL. It is migrated
and given models with `manage.py` in subprocesses, as an operator would. gunicorn runs with
`hippo_site/gunicorn.conf.py` on a free loopback port. Every loop here is bounded in count and time.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import psycopg
import requests
from psycopg import sql
from psycopg.conninfo import make_conninfo

from bench.api_throughput import ROOT, hippo_environment
from bench.servers import free_port, running, wait_until_up
from nn_core.model_files import save_model
from nn_core.network import NeuralNetwork
from tests.api.helpers import digit_pixels
from tests.fixtures.networks import model_metadata

GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
CONFIG = ROOT / "hippo_site" / "gunicorn.conf.py"
ADMIN_USER = "admin"
ADMIN_PASSWORD = "a-long-test-password-1"
TIMEOUT = 10


@contextlib.contextmanager
def postgres_database(url: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL server of `url`; its URL; dropped afterwards."""
    config = dj_database_url.parse(url)
    name = f"hippo_serving_{secrets.token_hex(4)}"
    conninfo = make_conninfo(
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        dbname=config.get("NAME"),
    )
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@dataclass
class Project:
    """A temporary project: its environment and the names of its models (the first is default)."""

    data_dir: Path
    env: dict[str, str]
    models: list[str] = field(default_factory=list)

    def manage(self, *args: str, **extra_env: str) -> str:
        """Run `manage.py args` in the project's environment; its standard output."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **extra_env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)}: {done.stderr[-2000:]}"
        return done.stdout


def make_project(data_dir: Path, database_url: str | None = None) -> Project:
    """Migrate a project, register two models (the first the default) and create an admin user."""
    env = hippo_environment(data_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    project = Project(data_dir, env)
    project.manage("migrate", "--noinput", "-v", "0")
    folder = data_dir / "models"
    folder.mkdir(parents=True, exist_ok=True)
    for seed, (name, sizes) in enumerate(
        [("serving-a", (784, 32, 10)), ("serving-b", (784, 16, 10))], start=1
    ):
        network = NeuralNetwork(list(sizes), seed=seed)
        weights = folder / f"{name}.safetensors"
        save_model(network, weights, model_metadata(network, name, 90.0 + seed))
        project.manage("push_model", "--model-path", str(weights))
        project.models.append(name)
    project.manage("shell", "-c", SET_DEFAULT.format(name=project.models[0]))
    project.manage(
        "createsuperuser",
        "--noinput",
        "--username",
        ADMIN_USER,
        "--email",
        "admin@example.com",
        DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD,
    )
    return project


SET_DEFAULT = (
    "from registry.models import RegisteredModel; from registry.services import make_default; "
    "make_default(RegisteredModel.objects.get(name='{name}'))"
)


@contextlib.contextmanager
def gunicorn(project: Project, workers: int = 2, **extra_env: str) -> Iterator[ServerProcess]:
    """A gunicorn instance serving `project` on a free loopback port, until the block ends."""
    port = free_port()
    env = {**project.env, "WEB_CONCURRENCY": str(workers), "HIPPO_BIND": f"127.0.0.1:{port}"}
    env.update(extra_env)
    log = project.data_dir / f"gunicorn-{port}.log"
    with running([str(GUNICORN), "-c", str(CONFIG)], cwd=ROOT, env=env, log=log) as process:
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(f"{base}/readyz", process)
        except RuntimeError as exc:
            raise AssertionError(f"{exc}\n{log.read_text()[-3000:]}") from None
        yield ServerProcess(base, process, log)


@dataclass
class ServerProcess:
    """A running gunicorn instance."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass(frozen=True)
class Answer:
    """One `POST /predict` of the load: when it was sent and answered, and what came back."""

    sent: float
    done: float
    status: int
    model: str
    """The `model` of the answer, or the error (exception class or error code)."""


class Load:
    """Client threads posting one image to `POST /predict` until stopped (bounded in count, time).

    Each thread keeps its own connection (a `requests.Session`), as a client pool does.
    """

    def __init__(
        self, url: str, threads: int = 2, max_requests: int = 20_000, max_seconds: float = 60
    ) -> None:
        self.url = f"{url}/predict"
        self.answers: list[Answer] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._limit = max_requests
        self._deadline = time.monotonic() + max_seconds
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=TIMEOUT + 5)

    def _run(self) -> None:
        body = {"pixels": digit_pixels()}
        with requests.Session() as http:
            while not self._stop.is_set() and time.monotonic() < self._deadline:
                with self._lock:
                    if len(self.answers) >= self._limit:
                        return
                sent = time.monotonic()
                try:
                    response = http.post(self.url, json=body, timeout=TIMEOUT)
                    status = response.status_code
                    payload = response.json()
                    model = payload.get("model") or payload.get("error", {}).get("code", "?")
                except (requests.RequestException, ValueError) as exc:
                    status, model = 0, type(exc).__name__
                    http.close()  # a fresh connection for the next request
                with self._lock:
                    self.answers.append(Answer(sent, time.monotonic(), status, model))

    def count(self) -> int:
        """Answers so far."""
        with self._lock:
            return len(self.answers)

    def wait_for(self, count: int, seconds: float = 30) -> None:
        """Wait until `count` more answers came in (bounded by `seconds`)."""
        target = self.count() + count
        deadline = time.monotonic() + seconds
        while self.count() < target and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.count() >= target, f"the load got {self.count()} answers, expected {target}"

    def since(self, moment: float) -> list[Answer]:
        """The answers to requests sent at or after `moment` (time.monotonic)."""
        with self._lock:
            return [answer for answer in self.answers if answer.sent >= moment]


def admin_session(base: str) -> requests.Session:
    """A session logged in to the admin of `base` through its login form, as a browser does."""
    http = requests.Session()
    login = http.get(f"{base}/admin/login/", timeout=TIMEOUT)
    assert login.status_code == 200
    answer = http.post(
        f"{base}/admin/login/?next=/admin/",
        data={
            "username": ADMIN_USER,
            "password": ADMIN_PASSWORD,
            "csrfmiddlewaretoken": csrf_token(login.text),
            "next": "/admin/",
        },
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200
    assert answer.url.endswith("/admin/"), "the login was refused"
    return http


def csrf_token(html: str) -> str:
    """The CSRF token of the first form in `html`."""
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found is not None, "no CSRF token in the page"
    return found.group(1)


def make_default_in_admin(http: requests.Session, base: str, name: str) -> None:
    """Run the admin's "Make default" action on the model called `name`, as a click does."""
    changelist = f"{base}/admin/registry/registeredmodel/"
    page = http.get(changelist, timeout=TIMEOUT)
    assert page.status_code == 200
    pk = primary_key(page.text, name)
    answer = http.post(
        changelist,
        data={
            "action": "make_default_action",
            "_selected_action": pk,
            "index": "0",
            "csrfmiddlewaretoken": csrf_token(page.text),
        },
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200
    # The admin's success message (its first letter capitalised).
    assert f"{name} is now the default model.".lower() in answer.text.lower()


def primary_key(html: str, name: str) -> str:
    """The primary key of the changelist row whose link names `name`."""
    found = re.search(rf'href="/admin/registry/registeredmodel/(\d+)/change/[^"]*">{name}<', html)
    assert found is not None, f"{name} is not on the changelist"
    return found.group(1)
