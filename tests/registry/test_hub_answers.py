"""The Hub's answers are data, not trust (real huggingface_hub client, Hub test double over HTTP).

A malformed model_info answer, listing entries of unexpected types, names the registry's rule
refuses (HTML, a newline, a bidi override, 240 characters), a model card whose front matter is
not YAML and metadata the database cannot store: `sync_models` reports each with a reason and
never fails with a traceback, the command exits non-zero only when nothing could be read, the
admin's sync answers a page, and nothing from the Hub reaches a log line or the report unescaped.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from registry import services
from registry.errors import StoreError
from registry.models import RegisteredModel, Status
from registry.safe_text import printable
from registry.sync import SyncReport
from tests.fixtures.hub_server import FakeRepo, HubDouble
from tests.registry.conftest import REPO_ID, MakeModel, StoreEnv

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
FORGED = "2026-01-01 12:00:00,000 CRITICAL registry.sync: FORGED by the Hub"
ODD_NAMES = {
    "html": "<img src=x onerror=alert(1)>",
    "newline": f"evil\n{FORGED}",
    "bidi": "invoice\u202ecod.exe",
    "isolate": "a\u2066b\u2069c",
    "long": "a" * 240,
}
BIDI_AND_CONTROLS = ("\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2069", "\n")


def add_files(hub: HubDouble, files: dict[str, bytes], repo_id: str = REPO_ID) -> FakeRepo:
    """Commit `files` on top of the repository's head (created when missing)."""
    repo = hub.repos.setdefault(repo_id, FakeRepo(repo_id))
    tree = dict(repo.commits[repo.head]) if repo.head else {}
    hub.new_commit(repo, {**tree, **files})
    return repo


def model_files(weights: Path, name: str) -> dict[str, bytes]:
    """The two files of a model under another name (weights and metadata as made)."""
    return {
        f"{name}.safetensors": weights.read_bytes(),
        f"{name}.json": weights.with_suffix(".json").read_bytes(),
    }


def assert_escaped(text: str) -> None:
    for char in BIDI_AND_CONTROLS:
        assert char not in text, (char, text)


@pytest.fixture
def hub(hub_env: StoreEnv) -> HubDouble:
    assert hub_env.hub is not None
    return hub_env.hub


@pytest.fixture
def staff_client(client: Client, django_user_model: Any) -> Client:
    django_user_model.objects.create_user(
        "staff", password="a-long-test-password", is_staff=True, is_superuser=True
    )
    assert client.login(username="staff", password="a-long-test-password")
    return client


def admin_sync(client: Client) -> tuple[int, str]:
    response = client.post(reverse("admin:registry_registeredmodel_sync"), follow=True)
    text = " ".join(str(message) for message in response.context["messages"])
    return response.status_code, text


def lists_siblings(change: Callable[[list[dict[str, Any]]], None]) -> Callable[..., Any]:
    """A `rewrite_info` applying `change` to the listing's siblings."""

    def rewrite(info: dict[str, Any]) -> dict[str, Any]:
        change(info["siblings"])
        return info

    return rewrite


MALFORMED_ANSWERS: dict[str, Callable[[dict[str, Any]], dict[str, Any] | bytes]] = {
    "truncated JSON": lambda info: json.dumps(info).encode()[:40],
    "not JSON": lambda info: b"<html>502 Bad Gateway</html>",
    "a JSON list": lambda info: b"[]",
    "siblings not a list": lambda info: {**info, "siblings": "README.md"},
    "sibling without a name": lambda info: {**info, "siblings": [{"size": 1}]},
    "lfs not an object": lambda info: {
        **info,
        "siblings": [{**sibling, "lfs": "yes"} for sibling in info["siblings"]],
    },
    "sha not a string": lambda info: {**info, "sha": 12345},
    "sha not a commit": lambda info: {**info, "sha": "main\nFORGED"},
}


@pytest.mark.parametrize("answer", sorted(MALFORMED_ANSWERS))
def test_a_malformed_listing_is_a_clear_error_not_a_traceback(
    hub: HubDouble, make_model: MakeModel, staff_client: Client, answer: str
) -> None:
    services.push_model(make_model("tiny-a"))
    before = list(RegisteredModel.objects.values())
    hub.rewrite_info = MALFORMED_ANSWERS[answer]

    with pytest.raises(StoreError) as caught:
        services.sync_models()
    message = caught.value.message
    assert "cannot be read" in message or "no valid revision" in message, message
    assert_escaped(message)

    with pytest.raises(CommandError, match="The registry is unchanged"):
        call_command("sync_models")

    status, text = admin_sync(staff_client)
    assert status == 200
    assert "Sync failed after" in text, text
    assert_escaped(text)
    assert list(RegisteredModel.objects.values()) == before


def test_listing_entries_of_unexpected_types_are_skipped_with_a_reason(
    hub: HubDouble, make_model: MakeModel
) -> None:
    services.push_model(make_model("tiny-a"))
    services.push_model(make_model("tiny-b", seed=1))

    def odd_entries(siblings: list[dict[str, Any]]) -> None:
        siblings.append({"rfilename": 5, "size": 1})
        siblings.append({"rfilename": "notes.txt", "size": "big"})
        for sibling in siblings:
            if sibling["rfilename"] == "tiny-b.safetensors":
                sibling["lfs"]["sha256"] = 7

    hub.rewrite_info = lists_siblings(odd_entries)

    report = services.sync_models()

    # .gitattributes, README.md and two files per model come first.
    assert set(report.skipped) == {"listing entry 6", "notes.txt", "tiny-b"}, report.skipped
    assert "not a non-empty string" in report.skipped["listing entry 6"]
    assert "size is not a byte count" in report.skipped["notes.txt"]
    assert "LFS checksum is not a SHA-256" in report.skipped["tiny-b"]
    assert report.unchanged == ["tiny-a"]
    # A skipped model is still in the store: its row stays as it was, served.
    assert RegisteredModel.objects.get(name="tiny-b").status == Status.AVAILABLE
    assert not report.nothing_read
    assert any(line.startswith("  skipped: tiny-b (") for line in report.lines())


def test_names_the_registry_cannot_hold_are_skipped_and_shown_escaped(
    hub: HubDouble, make_model: MakeModel, staff_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    weights = make_model("tiny-a")
    services.push_model(weights)
    for name in ODD_NAMES.values():
        add_files(hub, model_files(weights, name))

    with caplog.at_level(logging.INFO, logger="registry.sync"):
        report = services.sync_models()

    assert set(report.skipped) == set(ODD_NAMES.values())
    for why in report.skipped.values():
        assert why.startswith("not a valid model name"), why
    assert "240 characters long: at most 100" in report.skipped[ODD_NAMES["long"]]
    assert list(RegisteredModel.objects.values_list("name", flat=True)) == ["tiny-a"]
    lines = report.lines()
    for line in lines:
        assert_escaped(line)
    assert any("evil\\n2026-01-01" in line for line in lines), lines
    assert any("invoice\\u202ecod.exe" in line for line in lines), lines
    for record in caplog.records:
        assert_escaped(record.getMessage())
    assert any("skipped: evil\\n" in record.getMessage() for record in caplog.records)

    output = StringIO()
    call_command("sync_models", stdout=output)  # some models were read: not a failure
    assert_escaped(output.getvalue().replace("\n", " ", output.getvalue().count("\n")))
    assert all(not line.startswith(FORGED) for line in output.getvalue().splitlines())

    status, text = admin_sync(staff_client)
    assert status == 200
    assert "skipped: &lt;img src=x onerror=alert(1)&gt;" in text or "skipped: <img" in text
    assert_escaped(text)
    page = staff_client.get(reverse("admin:registry_registeredmodel_changelist"))
    assert b"<img src=x onerror" not in page.content


def test_the_command_fails_only_when_nothing_could_be_read(
    hub: HubDouble, make_model: MakeModel, settings: SettingsWrapper
) -> None:
    weights = make_model("tiny-a")
    settings.HF_MODEL_REPO = "hippo-test/odd-names-only"
    add_files(hub, model_files(weights, ODD_NAMES["html"]), "hippo-test/odd-names-only")
    add_files(hub, model_files(weights, ODD_NAMES["long"]), "hippo-test/odd-names-only")

    output = StringIO()
    with pytest.raises(CommandError, match="none of the 2 entries the store lists could be read"):
        call_command("sync_models", stdout=output)
    assert "skipped: <img src=x onerror=alert(1)>" in output.getvalue()
    assert not RegisteredModel.objects.exists()


def test_a_card_whose_front_matter_is_not_yaml_only_loses_its_checksums(
    hub: HubDouble, make_model: MakeModel
) -> None:
    services.push_model(make_model("tiny-a"))
    add_files(hub, {"README.md": b"---\nhippo: [\nmodel-index: *undefined\n---\n# card\n"})

    report = services.sync_models()

    assert report.unchanged == ["tiny-a"]
    assert any("README.md's front matter cannot be read" in note for note in report.notes)


BAD_METADATA: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "not JSON": lambda data: b"{'sizes': [784, 10]",
    "sizes not a list": lambda data: json.dumps({**data, "sizes": "784-16-10"}).encode(),
    "metrics not an object": lambda data: json.dumps({**data, "metrics": [1, 2]}).encode(),
    "NUL in the description": lambda data: json.dumps({**data, "description": "a\x00b"}).encode(),
    "lone surrogate in the metrics": lambda data: json.dumps(
        {**data, "metrics": {"note": "\ud800"}}
    ).encode(),
}


@pytest.mark.parametrize("case", sorted(BAD_METADATA))
def test_metadata_of_unexpected_content_makes_a_broken_model_with_a_reason(
    hub: HubDouble, make_model: MakeModel, case: str
) -> None:
    weights = make_model("tiny-a")
    services.push_model(weights)
    data = json.loads(weights.with_suffix(".json").read_text())
    files = model_files(weights, "odd-meta")
    files["odd-meta.json"] = BAD_METADATA[case](data)
    add_files(hub, files)

    report = services.sync_models()

    assert report.broken == ["odd-meta"], report.lines()
    assert "odd-meta.json is invalid" in report.reasons["odd-meta"]
    row = RegisteredModel.objects.get(name="odd-meta")
    assert row.status == Status.BROKEN
    assert RegisteredModel.objects.get(name="tiny-a").status == Status.AVAILABLE


def test_an_odd_name_cannot_forge_a_line_of_the_commands_log(
    hub_server: HubDouble, make_model: MakeModel, tmp_path: Path
) -> None:
    """`manage.py sync_models` in a real process, with the project's logging (DEBUG)."""
    weights = make_model("tiny-a")
    add_files(hub_server, model_files(weights, "tiny-a"))
    add_files(hub_server, model_files(weights, ODD_NAMES["newline"]))
    add_files(hub_server, model_files(weights, ODD_NAMES["bidi"]))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HF_", "HIPPO_", "HUGGINGFACE_", "DATABASE_"))
    }
    env.update(
        {
            "LOG_LEVEL": "DEBUG",
            "HIPPO_DATA_DIR": str(tmp_path / "data"),
            "HF_HOME": str(tmp_path / "hf-home"),
            "HF_MODEL_REPO": REPO_ID,
            "HF_ENDPOINT": hub_server.url,
            "HIPPO_HUB_DEADLINE": "30",
        }
    )
    (tmp_path / "data").mkdir()
    for command in (["migrate", "--noinput"], ["sync_models"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    output = done.stdout + done.stderr
    assert "added: tiny-a" in done.stdout
    assert f"skipped: evil\\n{FORGED}" in done.stdout
    assert " DEBUG " in done.stderr  # the debug log was on
    assert "Traceback" not in output
    for line in output.splitlines():
        assert not line.startswith(FORGED), line
        assert_escaped(line)


def test_printable_escapes_what_repr_escapes_and_keeps_ordinary_text() -> None:
    assert printable("tiny-a 99.98 % été C:\\models") == "tiny-a 99.98 % été C:\\models"
    assert printable("a\nb\r\tc\\") == "a\\nb\\r\\tc\\\\"
    assert printable("x\u202ey\u2066z\u2069\x00\x85\u2028") == (
        "x\\u202ey\\u2066z\\u2069\\x00\\x85\\u2028"
    )
    assert printable("a" * 10, limit=4) == "aaaa..."


def test_report_lines_are_escaped_whatever_they_hold() -> None:
    report = SyncReport(store="hub x/y", revision="0" * 40, skipped={"a\nb": "c\u202ed"})
    assert report.lines()[-2:] == [
        "  skipped: a\\nb (c\\u202ed)",
        "No changes (0 models up to date).",
    ]
