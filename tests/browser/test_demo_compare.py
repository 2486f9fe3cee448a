"""Comparing models (every model on the current input, the difference of two confusion matrices),
confusion-matrix cells that load their test images, and the "mistakes only" gallery filter."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_demo_page import FRIENDLY_DEEP, open_demo
from tests.browser.test_demo_states import FRIENDLY_CLASSIC
from tests.fixtures.browser import PageErrors, Snapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.mnist
def test_every_model_answers_the_same_input_side_by_side(
    page: Page, page_errors: PageErrors, live_server: Any, two_demo_models: Any
) -> None:
    deep, classic = two_demo_models
    open_demo(page, live_server.url)
    rows = page.locator(".compare__table tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator(f'.compare__table tr[data-model="{deep.name}"] th')).to_have_text(
        FRIENDLY_DEEP
    )
    expect(page.locator(f'.compare__table tr[data-model="{classic.name}"] th')).to_have_text(
        FRIENDLY_CLASSIC
    )
    expect(page.locator(f'.compare__table tr[data-model="{deep.name}"]')).to_have_class(
        re.compile("is-current")
    )
    # The shown model's row agrees with the main prediction; the label verdict is per model.
    digit = page.locator("#predicted-digit").inner_text()
    expect(page.locator(f'tr[data-model="{deep.name}"] .compare__digit')).to_have_text(digit)
    expect(page.locator(".compare__summary")).to_have_text(
        re.compile(r"^(All 2 models agree: \d\.|The models disagree: \d, \d\.)$")
    )

    # Another sample: both models answer again.
    sample = page.locator(".sample[data-predicted]").nth(5)
    label = sample.get_attribute("data-label")
    sample.click()
    expect(page.locator("#prediction-source")).to_contain_text(f"true label {label}")
    expect(page.locator(f'tr[data-model="{classic.name}"] td').last).to_contain_text(
        re.compile(r"correct|wrong")
    )
    assert page_errors.messages == []


@pytest.mark.mnist
def test_confusion_cells_load_their_images_and_two_matrices_can_be_compared(
    page: Page, page_errors: PageErrors, snapshot: Snapshot, live_server: Any, two_demo_models: Any
) -> None:
    deep, classic = two_demo_models
    open_demo(page, live_server.url)
    matrix = deep.metrics["confusion_matrix"]
    # The model's most frequent confusion.
    truth, predicted = max(
        ((i, j) for i in range(10) for j in range(10) if i != j), key=lambda c: matrix[c[0]][c[1]]
    )
    count = matrix[truth][predicted]
    cell = page.locator(
        f'.confusion-chart__cell[data-true="{truth}"][data-predicted="{predicted}"]'
    )
    expect(cell).to_have_attribute("role", "button")

    # Keyboard works as well as the mouse: focus the cell, press Enter.
    cell.focus()
    page.keyboard.press("Enter")

    status = page.locator("#gallery-status")
    expect(status).to_contain_text(f"of the {count} test {truth}s it reads as {predicted}")
    tiles = page.locator(".sample")
    expect(tiles).to_have_count(min(20, count))
    for tile in tiles.all():
        expect(tile).to_have_attribute("data-label", str(truth))
        expect(tile).to_have_attribute("data-predicted", str(predicted))
    tiles.first.click()
    expect(page.locator("#prediction-source")).to_contain_text(
        f"true label {truth} — misclassified"
    )
    expect(page.locator("#predicted-digit")).to_have_text(str(predicted))
    snapshot(page, "confusion-cell")

    # The difference view: second model minus first, per cell.
    page.get_by_label("Compare its matrix with").select_option(classic.name)
    diff = page.locator("svg.confusion-chart--diff")
    expect(diff).to_be_visible()
    other = classic.metrics["confusion_matrix"]
    expected = other[truth][predicted] - count
    shown = diff.locator(f'[data-true="{truth}"][data-predicted="{predicted}"] text').text_content()
    assert shown == (f"+{expected}" if expected > 0 else str(expected))
    expect(page.locator(".confusion-figure__caption")).to_contain_text(
        f"{FRIENDLY_CLASSIC} minus {FRIENDLY_DEEP}"
    )
    snapshot(page, "confusion-diff")
    assert page_errors.messages == []


@pytest.mark.mnist
def test_mistakes_only_shows_only_misclassified_images(
    page: Page, page_errors: PageErrors, live_server: Any, demo_model: Any
) -> None:
    open_demo(page, live_server.url)
    matrix = demo_model.metrics["confusion_matrix"]
    wrong = sum(matrix[i][j] for i in range(10) for j in range(10) if i != j)

    page.get_by_label("Mistakes only").check()

    status = page.locator("#gallery-status")
    expect(status).to_contain_text(f"of the {wrong} test images {FRIENDLY_DEEP} gets wrong")
    tiles = page.locator(".sample")
    expect(tiles).to_have_count(20)
    for tile in tiles.all():
        assert tile.get_attribute("data-label") != tile.get_attribute("data-predicted")
        expect(tile).to_have_class(re.compile("sample--wrong"))
    # "New samples" brings another page of mistakes; unticking brings random samples back.
    page.get_by_role("button", name="New samples").click()
    expect(status).to_contain_text("gets wrong")
    page.get_by_label("Mistakes only").uncheck()
    expect(status).to_contain_text("20 random test samples")
    assert page_errors.messages == []
