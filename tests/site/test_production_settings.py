"""Production settings: no start without a secret key, `check --deploy` clean, HTTPS behaviour.

The refusals are checked on real processes (manage.py and gunicorn with the project's config), in
an environment stripped of every Hippo and Django variable, as a fresh production shell would be.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from pytest_django.fixtures import Settings

from bench.servers import free_port
from hippo_site.env import START_REFUSED, proxy_ssl_header

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"

PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_HTTPS": "true",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https",
    "ALLOWED_HOSTS": "hippo.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://hippo.example.com",
}
"""The production environment docs/DEPLOYMENT.md documents (plus a secret key)."""


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HF_", "HIPPO_", "DJANGO_", "DATABASE_", "ALLOWED_", "CSRF_"))
    }
    env.update({"HIPPO_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT), **extra})
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.own_sqlite  # subprocesses with an environment of their own
def test_manage_py_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    done = manage(clean_env(tmp_path, DJANGO_DEBUG="false"), "check")
    assert done.returncode == 1
    assert done.stderr.strip() == START_REFUSED  # one message, no traceback
    assert done.stdout == ""


@pytest.mark.own_sqlite  # subprocesses with an environment of their own
def test_gunicorn_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(tmp_path, HIPPO_BIND=f"127.0.0.1:{port}")  # DJANGO_DEBUG unset: false
    done = subprocess.run(
        [str(GUNICORN), "-c", str(ROOT / "hippo_site" / "gunicorn.conf.py")],
        cwd=tmp_path,  # not the project root: the config finds the project itself
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert START_REFUSED in done.stderr
    assert "Traceback" not in done.stderr
    assert "Booting worker" not in done.stderr


@pytest.mark.own_sqlite  # subprocesses with an environment of their own
def test_debug_runs_with_a_generated_key(tmp_path: Path) -> None:
    done = manage(clean_env(tmp_path, DJANGO_DEBUG="true"), "check")
    assert done.returncode == 0, done.stderr


@pytest.mark.own_sqlite  # subprocesses with an environment of their own
def test_check_deploy_is_clean_in_the_documented_production_environment(tmp_path: Path) -> None:
    env = clean_env(tmp_path, **PRODUCTION, DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    done = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


@pytest.mark.own_sqlite  # subprocesses with an environment of their own
def test_empty_values_as_in_env_example_mean_the_defaults(tmp_path: Path) -> None:
    empty = dict.fromkeys(
        (
            "DJANGO_SSL_REDIRECT",
            "DJANGO_HSTS_SECONDS",
            "DJANGO_HSTS_INCLUDE_SUBDOMAINS",
            "DJANGO_HSTS_PRELOAD",
            "DJANGO_SECURE_COOKIES",
        ),
        "",
    )
    env = clean_env(tmp_path, **PRODUCTION, **empty, DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    done = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.own_sqlite  # subprocesses with an environment of their own
def test_check_deploy_warns_without_https(tmp_path: Path) -> None:
    env = clean_env(tmp_path, **PRODUCTION, DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    env["DJANGO_HTTPS"] = "false"
    done = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in done.stderr


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("", None),
        ("X-Forwarded-Proto: https", ("HTTP_X_FORWARDED_PROTO", "https")),
        ("HTTP_X_FORWARDED_PROTO:https", ("HTTP_X_FORWARDED_PROTO", "https")),
    ],
)
def test_proxy_ssl_header(raw: str, parsed: tuple[str, str] | None) -> None:
    assert proxy_ssl_header(raw) == parsed


@pytest.mark.parametrize("raw", ["X-Forwarded-Proto", ": https", "X-Forwarded-Proto:"])
def test_bad_proxy_ssl_header(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECURE_PROXY_SSL_HEADER"):
        proxy_ssl_header(raw)


@pytest.mark.django_db
def test_https_redirect_hsts_and_plain_http_health_probes(settings: Settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client()
    plain = client.get("/models")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/models"
    for probe in ("/healthz", "/readyz"):  # load balancers probe instances over plain HTTP
        assert client.get(probe).status_code in (200, 503)
    proxied = client.get("/models", headers={"X-Forwarded-Proto": "https"})
    assert proxied.status_code == 200
    assert proxied["Strict-Transport-Security"].startswith("max-age=31536000")
