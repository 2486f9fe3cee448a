"""The admin through the Django test client: staff users curate, anonymous users are sent away."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from registry import services
from registry.models import RegisteredModel, Status
from tests.registry.conftest import PNG, MakeModel, StoreEnv

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:registry_registeredmodel_changelist"


def change_url(entry: RegisteredModel) -> str:
    return reverse("admin:registry_registeredmodel_change", args=[entry.pk])


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def two_models(local_env: StoreEnv, make_model: MakeModel) -> tuple[RegisteredModel, ...]:
    first = services.push_model(make_model("tiny-a", accuracy=91.0, png=True))
    second = services.push_model(make_model("tiny-b", seed=1, accuracy=95.5))
    first.refresh_from_db()
    return first, second


def test_anonymous_users_are_sent_to_the_login(
    client: Client, two_models: tuple[RegisteredModel, ...]
) -> None:
    first = two_models[0]
    urls = [
        reverse(CHANGELIST),
        change_url(first),
        reverse("admin:registry_registeredmodel_curves", args=[first.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
    response = client.post(
        reverse(CHANGELIST), {"action": "make_default_action", "_selected_action": [first.pk]}
    )
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    response = client.post(reverse("admin:registry_registeredmodel_sync"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert services.get_default_model().pk == first.pk


def test_list_search_and_filters(
    staff_client: Client, two_models: tuple[RegisteredModel, ...]
) -> None:
    response = staff_client.get(reverse(CHANGELIST))
    page = response.content.decode()
    assert response.status_code == 200
    for text in ("tiny-a", "tiny-b", "784-16-10", "91.00 %", "95.50 %", "KiB", "Sync from the Hub"):
        assert text in page

    found = staff_client.get(reverse(CHANGELIST), {"q": "tiny-b"}).context["cl"].result_list
    assert [entry.name for entry in found] == ["tiny-b"]
    RegisteredModel.objects.filter(name="tiny-b").update(status=Status.BROKEN)
    broken = staff_client.get(reverse(CHANGELIST), {"status__exact": "broken"})
    assert [entry.name for entry in broken.context["cl"].result_list] == ["tiny-b"]
    defaults = staff_client.get(reverse(CHANGELIST), {"is_default__exact": "1"})
    assert [entry.name for entry in defaults.context["cl"].result_list] == ["tiny-a"]


def test_detail_page_shows_metrics_confusion_matrix_and_curves(
    staff_client: Client, two_models: tuple[RegisteredModel, ...]
) -> None:
    first = two_models[0]
    page = staff_client.get(change_url(first)).content.decode()

    assert 'class="hippo-confusion"' in page
    assert "true 3, predicted 3: 90" in page
    assert "test accuracy" in page
    assert "accuracy %" in page
    curves = reverse("admin:registry_registeredmodel_curves", args=[first.pk])
    assert f'<img src="{curves}"' in page
    image = staff_client.get(curves)
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert image.content == PNG
    # The other model has no curves: no image, and the view says 404.
    second = two_models[1]
    assert "No training-curve image" in staff_client.get(change_url(second)).content.decode()
    assert (
        staff_client.get(
            reverse("admin:registry_registeredmodel_curves", args=[second.pk])
        ).status_code
        == 404
    )


def test_make_default_action(staff_client: Client, two_models: tuple[RegisteredModel, ...]) -> None:
    first, second = two_models
    url = reverse(CHANGELIST)

    both = staff_client.post(
        url,
        {"action": "make_default_action", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    assert "Select exactly one model" in " ".join(messages_of(both))

    one = staff_client.post(
        url, {"action": "make_default_action", "_selected_action": [second.pk]}, follow=True
    )
    assert "tiny-b is now the default model." in messages_of(one)
    assert services.get_default_model().pk == second.pk

    RegisteredModel.objects.filter(pk=first.pk).update(status=Status.BROKEN, status_reason="bad")
    refused = staff_client.post(
        url, {"action": "make_default_action", "_selected_action": [first.pk]}, follow=True
    )
    assert "tiny-a was not made the default" in " ".join(messages_of(refused))
    RegisteredModel.objects.filter(pk=first.pk).update(status=Status.AVAILABLE, enabled=False)
    refused = staff_client.post(
        url, {"action": "make_default_action", "_selected_action": [first.pk]}, follow=True
    )
    assert "disabled" in " ".join(messages_of(refused))
    assert services.get_default_model().pk == second.pk


def test_sync_action_needs_no_selection(
    staff_client: Client, two_models: tuple[RegisteredModel, ...]
) -> None:
    RegisteredModel.objects.filter(name="tiny-b").delete()

    response = staff_client.post(reverse(CHANGELIST), {"action": "sync_from_hub"}, follow=True)

    assert "added: tiny-b" in " ".join(messages_of(response))
    button = staff_client.post(reverse("admin:registry_registeredmodel_sync"), follow=True)
    assert "No changes" in " ".join(messages_of(button))


def post_change(client: Client, entry: RegisteredModel, **changes: Any) -> Any:
    data = {
        "display_name": entry.display_name,
        "description": entry.description,
        "enabled": "on" if entry.enabled else "",
        "is_default": "on" if entry.is_default else "",
        "_save": "Save",
    }
    data.update(changes)
    return client.post(change_url(entry), {k: v for k, v in data.items() if v != ""}, follow=True)


def test_editing_the_default_goes_through_make_default(
    staff_client: Client, two_models: tuple[RegisteredModel, ...]
) -> None:
    first, second = two_models

    response = post_change(staff_client, second, is_default="on", display_name="Bee")
    assert "tiny-b is now the default model." in messages_of(response)
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.is_default
    assert second.display_name == "Bee"
    assert not first.is_default

    # The default cannot be unset or disabled; a broken model cannot become the default.
    response = post_change(staff_client, second, is_default="")
    assert "make another model the default" in response.content.decode()
    response = post_change(staff_client, second, enabled="")
    assert "cannot be disabled" in response.content.decode()
    RegisteredModel.objects.filter(pk=first.pk).update(status=Status.BROKEN, status_reason="bad")
    first.refresh_from_db()
    response = post_change(staff_client, first, is_default="on")
    assert "cannot become the default" in response.content.decode()
    assert services.get_default_model().pk == second.pk


def test_mirrored_fields_are_read_only(
    staff_client: Client, two_models: tuple[RegisteredModel, ...]
) -> None:
    first = two_models[0]
    post_change(staff_client, first, sha256="0" * 64, revision="f" * 40, description="new text")
    first_after = RegisteredModel.objects.get(pk=first.pk)
    assert first_after.sha256 == first.sha256
    assert first_after.revision == first.revision
    assert first_after.description == "new text"
    assert staff_client.get(reverse("admin:registry_registeredmodel_add")).status_code == 403


def test_a_cnn_shows_its_architecture_in_the_list_and_its_layers_in_the_detail(
    staff_client: Client, local_env: StoreEnv, make_model: MakeModel
) -> None:
    entry = services.push_model(make_model("cnn-a", layers="conv3x3x4,pool2,dense10"))
    listing = staff_client.get(reverse(CHANGELIST)).content.decode()
    assert "1x28x28-conv3x3x4-pool2-dense10" in listing
    detail = staff_client.get(change_url(entry)).content.decode()
    assert "maxpool2d" in detail
    assert "conv2d" in detail
