"""The model-name rule (`registry.names`), and that push and sync apply it before writing."""

from __future__ import annotations

import pytest

from registry import services
from registry.errors import InvalidModel, InvalidModelName
from registry.models import RegisteredModel
from registry.names import MAX_MODEL_NAME_LENGTH, check_model_name
from tests.registry.conftest import MakeModel, StoreEnv

LONGEST = "a" * MAX_MODEL_NAME_LENGTH
TOO_LONG = "a" * (MAX_MODEL_NAME_LENGTH + 1)


@pytest.mark.parametrize("name", ["a", "A9", "mnist-784-100-10-relu-98", "x_y-z", LONGEST])
def test_names_the_registry_can_hold_are_accepted(name: str) -> None:
    assert check_model_name(name) == name


@pytest.mark.parametrize("name", ["", "-a", "_a", "a b", "a/b", "a.b", "é", "a\n", "a\x00"])
def test_other_characters_are_refused_with_the_rule(name: str) -> None:
    with pytest.raises(InvalidModelName, match="letters, digits, '-' or '_'") as caught:
        check_model_name(name)
    assert repr(name) in caught.value.message


def test_a_name_over_the_limit_is_refused_with_its_length() -> None:
    with pytest.raises(InvalidModelName, match=r"is 101 characters long: at most 100") as caught:
        check_model_name(TOO_LONG)
    assert len(caught.value.message) < 200  # the name is shortened in the message
    # Callers that validate their own input (training's --name) can catch a ValueError.
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, InvalidModel)


def _nothing_written(store_env: StoreEnv) -> None:
    assert RegisteredModel.objects.count() == 0
    if store_env.hub is not None:
        assert store_env.hub.requests == []  # not even the repository was created
    assert store_env.store().snapshot() is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "message"),
    [
        (TOO_LONG, "101 characters long: at most 100"),
        ("---", "empty model name"),
        ("!!!", "empty model name"),
        (None, "101 characters long"),  # no name given: the metadata's name is the model's
    ],
)
def test_push_refuses_a_name_the_registry_cannot_hold_before_writing(
    store_env: StoreEnv, make_model: MakeModel, name: str | None, message: str
) -> None:
    weights = make_model(TOO_LONG if name is None else "tiny-a")
    with pytest.raises(InvalidModel, match=message):
        services.push_model(weights, name=name)
    _nothing_written(store_env)


@pytest.mark.django_db
def test_push_refuses_a_display_name_the_row_cannot_hold(
    local_env: StoreEnv, make_model: MakeModel
) -> None:
    # Slugified to "a" (a fine name), but the text kept as the display name is 251 characters.
    with pytest.raises(InvalidModel, match=r"display name .* is 251 characters long"):
        services.push_model(make_model("tiny-a"), name="a" + "!" * 250)
    _nothing_written(local_env)


@pytest.mark.django_db
def test_push_accepts_the_longest_name(local_env: StoreEnv, make_model: MakeModel) -> None:
    entry = services.push_model(make_model("tiny-a"), name=LONGEST)
    assert entry.name == LONGEST
    assert services.load_network(entry).sizes == [784, 16, 10]


@pytest.mark.django_db
def test_sync_leaves_out_a_model_whose_name_the_registry_cannot_hold(
    store_env: StoreEnv, make_model: MakeModel
) -> None:
    services.push_model(make_model("tiny-a"))
    # Another tool committed a model under a name too long for the registry.
    weights = make_model("tiny-b")
    store = store_env.store()
    head = store.snapshot()
    assert head is not None
    store.commit(
        {
            TOO_LONG + ".safetensors": weights,
            TOO_LONG + ".json": weights.with_suffix(".json").read_bytes(),
        },
        "Add a model by hand",
        parent=head.revision,
    )

    report = services.sync_models()

    assert [entry.name for entry in RegisteredModel.objects.all()] == ["tiny-a"]
    assert report.unchanged == ["tiny-a"]
    assert list(report.skipped) == [TOO_LONG]
    assert report.skipped[TOO_LONG].startswith("not a valid model name: model name")
    assert "101 characters long" in report.skipped[TOO_LONG]
    assert any(line.startswith(f"  skipped: {TOO_LONG} (") for line in report.lines())
