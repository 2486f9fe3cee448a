"""Showing the flow: contribution lines, the forward-pass animation (and reduced motion), the
neuron view, the layers explained in words, and what drives neurons beyond the first layer."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_demo_page import SEVEN, open_demo
from tests.fixtures.browser import PageErrors, PageFactory, Snapshot, draw_stroke

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def line_facts(page: Page, selector: str = "#flow path.flow__line") -> list[dict[str, Any]]:
    """Sign, width and gap of every drawn contribution line."""
    facts: list[dict[str, Any]] = page.locator(selector).evaluate_all(
        """(paths) => paths.map((p) => ({
            sign: p.dataset.sign, gap: Number(p.dataset.gap), value: Number(p.dataset.value),
            width: Number(p.getAttribute('stroke-width')), stroke: p.getAttribute('stroke'),
            animated: p.classList.contains('flow__line--animated'),
        }))"""
    )
    return facts


@pytest.mark.mnist
def test_lines_show_the_strongest_contributions_by_sign_and_size(
    page: Page, page_errors: PageErrors, live_server: Any, demo_model: Any
) -> None:
    open_demo(page, live_server.url)
    draw_stroke(page, "#pad", SEVEN)
    expect(page.locator("#prediction")).to_have_attribute("data-state", "done")
    expect(page.locator("#flow")).to_have_attribute("data-lines", re.compile(r"^[1-9]\d*$"))

    facts = line_facts(page)
    # One set of lines into every layer with weights (3 for 784-64-32-10).
    assert {f["gap"] for f in facts} == {0, 1, 2}
    assert {f["sign"] for f in facts} == {"positive", "negative"}
    assert {f["stroke"] for f in facts if f["sign"] == "positive"} == {"#c0392b"}
    assert {f["stroke"] for f in facts if f["sign"] == "negative"} == {"#2e6fb7"}
    # Coloured by sign, sized by magnitude: within a gap, width is proportional to |value|.
    for fact in facts:
        assert (fact["value"] > 0) == (fact["sign"] == "positive")
    for gap in (0, 1, 2):
        lines = [f for f in facts if f["gap"] == gap]
        strongest = max(abs(f["value"]) for f in lines)
        for f in lines:
            assert f["width"] == pytest.approx(4 * abs(f["value"]) / strongest, abs=0.002)
        assert max(f["width"] for f in lines) == pytest.approx(4)
    # Reduced motion (the fixture's default): no sweep.
    expect(page.locator("#flow")).to_have_attribute("data-animated", "false")
    assert not any(f["animated"] for f in facts)
    assert page_errors.messages == []


@pytest.mark.mnist
def test_each_new_prediction_animates_the_forward_pass(
    new_page: PageFactory, page_errors: PageErrors, live_server: Any, demo_model: Any
) -> None:
    page = new_page(reduced_motion="no-preference")
    open_demo(page, live_server.url)
    expect(page.locator("#flow")).to_have_attribute("data-animated", "true")
    facts = line_facts(page)
    assert facts
    assert all(f["animated"] for f in facts)
    # The sweep runs layer by layer: the lines into a later layer start later.
    delays = page.locator("#flow path.flow__line").evaluate_all(
        "(ps) => ps.map((p) => [Number(p.dataset.gap), getComputedStyle(p).animationDelay])"
    )
    by_gap = dict(delays)
    assert by_gap[0] == "0s"
    assert by_gap[1] != "0s"
    assert page.locator(".layer.is-arriving").count() == len(demo_model.sizes)

    page.locator(".sample[data-predicted]").nth(3).click()
    expect(page.locator(".sample").nth(3)).to_have_attribute("aria-current", "true")
    expect(page.locator("#flow")).to_have_attribute("data-animated", "true")
    assert page_errors.messages == []


@pytest.mark.mnist
def test_the_neuron_view_and_the_layers_in_words(
    page: Page, page_errors: PageErrors, snapshot: Snapshot, live_server: Any, demo_model: Any
) -> None:
    open_demo(page, live_server.url)
    explain = page.locator("#layer-explain li")
    expect(explain).to_have_count(len(demo_model.sizes))
    expect(explain.nth(1)).to_contain_text("Hidden layer 1")
    expect(explain.nth(1)).to_contain_text("ReLU then keeps positive sums")
    expect(explain.nth(3)).to_contain_text("Softmax turns these scores into probabilities")

    page.get_by_role("button", name="Neurons").click()
    expect(page.get_by_role("button", name="Neurons")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".layer-canvas")).to_have_count(0)
    columns = page.locator(".neurons__column")
    expect(columns).to_have_count(len(demo_model.sizes))
    # Wide layers show their 16 most active neurons and say so; the output shows all 10.
    expect(page.locator('.neurons__column[data-layer="1"] .neurons__unit')).to_have_count(16)
    expect(page.locator('.neurons__column[data-layer="1"] .neurons__meta')).to_have_text(
        "16 most active of 64"
    )
    expect(page.locator('.neurons__column[data-layer="3"] .neurons__unit')).to_have_count(10)
    expect(page.locator(".neurons__unit.is-best")).to_have_count(1)
    assert page.locator(".neurons__links path.flow__line").count() > 0
    snapshot(page, "neurons")

    # Keyboard: a column takes focus, the arrows walk its neurons.
    page.locator('.neurons__column[data-layer="3"]').focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#inspector-text")).to_contain_text("Output neuron for digit 1")

    page.get_by_role("button", name="Grids").click()
    expect(page.locator(".layer-canvas")).to_have_count(len(demo_model.sizes))
    assert page_errors.messages == []


@pytest.mark.mnist
def test_deeper_neurons_show_what_drives_them(
    page: Page, page_errors: PageErrors, snapshot: Snapshot, live_server: Any, demo_model: Any
) -> None:
    open_demo(page, live_server.url)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/weights" in r.url else None)

    # A second-hidden-layer neuron: its weights projected back to the 28 × 28 input.
    layer2 = page.locator('.layer-canvas[data-layer="2"]')
    layer2.focus()
    expect(page.locator("#inspector-text")).to_contain_text("Hidden layer 2, neuron 0")
    expect(page.locator("#weights")).to_have_attribute("data-shown", "true")
    expect(page.locator("#weights-explain")).to_contain_text("projected back to the pixels")
    painted = page.locator("#weights-canvas").evaluate(
        """(c) => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                    const seen = new Set();
                    for (let i = 0; i < d.length; i += 4) seen.add(d.slice(i, i + 3).join());
                    return [c.width, c.height, seen.size]; }"""
    )
    assert painted[:2] == [28, 28]
    assert painted[2] > 20

    # An output neuron: what makes the network say that digit.
    page.locator(f'.layer-canvas[data-layer="{len(demo_model.sizes) - 1}"]').focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#weights-explain")).to_contain_text("the score of 1")
    snapshot(page, "drivers")
    # Only whole-layer weights were fetched, each once (the page caches them).
    layers = [re.search(r"layer=(\d+)", url).group(1) for url in requests]  # type: ignore[union-attr]
    assert sorted(layers) == sorted(set(layers))
    assert page_errors.messages == []
