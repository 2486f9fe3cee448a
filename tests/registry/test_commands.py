"""`manage.py push_model` and `manage.py sync_models`, including that the token never leaks."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from registry.models import RegisteredModel
from tests.registry.conftest import REPO_ID, TOKEN, MakeModel, StoreEnv, free_port_url

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

pytestmark = pytest.mark.django_db


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out, stderr=out)
    return out.getvalue()


def test_push_model_command(store_env: StoreEnv, make_model: MakeModel) -> None:
    weights = make_model("mnist-784-16-10-relu", png=True)

    output = run(
        "push_model",
        "--model-path",
        str(weights),
        "--name",
        "Tiny Net",
        "--accuracy",
        "98.1",
        "--description",
        "A tiny one.",
    )

    assert "Pushed tiny-net (784-16-10, test accuracy 98.10 %)" in output
    entry = RegisteredModel.objects.get(name="tiny-net")
    assert output.count(entry.revision[:12]) == 1
    assert entry.display_name == "Tiny Net"
    assert entry.description == "A tiny one."
    assert "tiny-net is the default model." in output


def test_push_model_private_creates_a_private_repo(
    hub_env: StoreEnv, make_model: MakeModel
) -> None:
    run("push_model", "--model-path", str(make_model("tiny-a")), "--private")
    assert hub_env.hub is not None
    assert hub_env.hub.repos[REPO_ID].private


def test_push_model_refuses_a_broken_model(local_env: StoreEnv, make_model: MakeModel) -> None:
    weights = make_model("tiny-a")
    weights.write_bytes(b"not safetensors")
    with pytest.raises(CommandError, match="cannot be pushed"):
        run("push_model", "--model-path", str(weights))
    assert not RegisteredModel.objects.exists()


def test_sync_models_command_prints_what_changed(
    store_env: StoreEnv, make_model: MakeModel
) -> None:
    run("push_model", "--model-path", str(make_model("tiny-a")))
    RegisteredModel.objects.all().delete()

    first = run("sync_models")
    second = run("sync_models")

    assert "added: tiny-a" in first
    assert "default: tiny-a" in first
    assert "No changes (1 models up to date)." in second


def test_sync_models_command_reports_an_unreachable_hub(
    hub_env: StoreEnv, settings: SettingsWrapper
) -> None:
    settings.HF_ENDPOINT = free_port_url()
    with pytest.raises(CommandError, match=r"cannot reach the Hugging Face Hub.*unchanged"):
        run("sync_models")


@pytest.mark.parametrize("variable", ["HF_TOKEN", "HUGGINGFACE_TOKEN"])
def test_token_is_read_from_either_variable(
    hub_env: StoreEnv, make_model: MakeModel, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setenv(variable, TOKEN)
    run("push_model", "--model-path", str(make_model("tiny-a")))
    assert RegisteredModel.objects.filter(name="tiny-a").exists()


def test_missing_token_gives_one_clear_message(
    hub_env: StoreEnv, make_model: MakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(CommandError) as caught:
        run("push_model", "--model-path", str(make_model("tiny-a")))
    assert str(caught.value) == (
        "pushing to the Hugging Face Hub needs a token with write access: "
        "set HF_TOKEN (or HUGGINGFACE_TOKEN)"
    )


def test_token_never_appears_in_output_logs_errors_or_database(
    hub_env: StoreEnv,
    make_model: MakeModel,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    # Success paths.
    texts.append(
        run(
            "push_model",
            "--model-path",
            str(
                make_model("tiny-a"),
            ),
            "--private",
        )
    )
    texts.append(run("sync_models"))
    # Error paths: the double echoes the Authorization header in its 401 answers.
    assert hub_env.hub is not None
    hub_env.hub.tokens.clear()
    for args in (
        ["push_model", "--model-path", str(make_model("tiny-b", seed=1))],
        ["sync_models"],
    ):
        with pytest.raises(CommandError) as caught:
            run(*args)
        assert "rejected the token" in str(caught.value)
        texts += [str(caught.value), repr(caught.value)]
    captured = capsys.readouterr()
    texts += [captured.out, captured.err, caplog.text]
    texts += [str(row) for row in RegisteredModel.objects.values_list()]

    assert texts
    assert all(TOKEN not in text for text in texts)
    assert any("HTTP Request" in record.getMessage() for record in caplog.records)  # logs seen
