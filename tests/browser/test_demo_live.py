"""Live while drawing (throttled predictions during a stroke, the confidence history) and honest
uncertainty (non-digits and unsure answers are said plainly; the pen adapts to small drawings)."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Sequence
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_demo_page import SEVEN, clear_pad, inside_viewport, open_demo
from tests.fixtures.browser import PageErrors, Snapshot, draw_stroke

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def slow_stroke(
    page: Page, points: Sequence[tuple[float, float]], pause_ms: int = 40
) -> tuple[int, float]:
    """Draw like a person: small moves with pauses. Returns the live predictions seen before
    the pen was lifted, and how long the stroke took in seconds."""
    started = time.monotonic()
    box = page.locator("#pad").bounding_box()
    assert box is not None
    at = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for (x0, y0), (x1, y1) in itertools.pairwise(at):
        for t in range(1, 9):
            page.mouse.move(x0 + (x1 - x0) * t / 8, y0 + (y1 - y0) * t / 8)
            page.wait_for_timeout(pause_ms)
    live = int(page.locator("#prediction").get_attribute("data-live-count") or 0)
    page.mouse.up()
    return live, time.monotonic() - started


@pytest.mark.mnist
def test_predictions_follow_the_pen_during_a_stroke(
    page: Page, page_errors: PageErrors, snapshot: Snapshot, live_server: Any, demo_model: Any
) -> None:
    open_demo(page, live_server.url)
    clear_pad(page)
    requests: list[float] = []
    page.on("request", lambda r: requests.append(1) if r.url.endswith("/predict/image") else None)

    live, seconds = slow_stroke(page, SEVEN)
    moves = 4 * 8

    # Several answers arrived while the pen was still down (not one debounced at the end)...
    assert live >= 3, live
    # ...but throttled to one request per 100 ms (plus the final one at the end of the stroke).
    assert len(requests) <= seconds / 0.1 + 2, (len(requests), seconds)
    assert len(requests) <= moves
    expect(page.locator("#prediction")).to_have_attribute("data-state", "done")
    expect(page.locator("#predicted-digit")).to_have_text("7")
    # The confidence history of the stroke, as a sparkline of the leading digits.
    sparkline = page.locator("#sparkline")
    expect(sparkline).to_be_visible()
    assert int(sparkline.get_attribute("data-points") or 0) >= live
    expect(sparkline.locator("polyline[data-digit='7']")).to_have_count(1)
    expect(sparkline.locator("svg")).to_have_attribute("aria-label", re.compile("Confidence over"))
    snapshot(page, "sparkline")

    # A new drawing starts a new history.
    clear_pad(page)
    expect(sparkline).to_be_hidden()
    assert page_errors.messages == []


# Non-digits that a plain argmax reads with high confidence (issue 11's examples).
HORIZONTAL_LINE = [(0.15, 0.5), (0.85, 0.52)]
DOT = [(0.5, 0.5), (0.505, 0.505)]
SCRIBBLE = [(0.3 + 0.4 * (i % 2), 0.3 + 0.02 * i) for i in range(22)]


@pytest.mark.mnist
@pytest.mark.parametrize(
    ("stroke", "reason"),
    [
        (HORIZONTAL_LINE, "flat line"),
        (DOT, "a dot"),
        (SCRIBBLE, "scribble"),
    ],
    ids=["horizontal-line", "dot", "scribble"],
)
def test_non_digits_are_called_out_plainly(
    page: Page,
    page_errors: PageErrors,
    live_server: Any,
    demo_model: Any,
    stroke: list[tuple[float, float]],
    reason: str,
) -> None:
    open_demo(page, live_server.url)
    clear_pad(page)
    draw_stroke(page, "#pad", stroke)

    expect(page.locator("#prediction")).to_have_attribute("data-verdict", "not-a-digit")
    expect(page.locator("#prediction-text")).to_contain_text("Not a digit?")
    expect(page.locator("#prediction-text")).to_contain_text(reason)
    expect(page.locator("#predicted-digit")).to_have_text("?")
    expect(page.locator("#verdict")).to_contain_text('no "none of these" answer')
    expect(page.locator("#mini-text")).to_have_text("not a digit?")
    # The longer answer still leaves the whole prediction card on the first screen.
    assert inside_viewport(page, "#probabilities")
    assert page_errors.messages == []


@pytest.mark.mnist
def test_an_ambiguous_input_is_called_unsure(
    page: Page, page_errors: PageErrors, live_server: Any, demo_model: Any
) -> None:
    open_demo(page, live_server.url)
    # Half a 4 and half a 9 blended: the model splits its vote.
    page.evaluate(
        """async () => {
            const r = await fetch('/mnist/samples?dataset=test&count=100&seed=3');
            const samples = (await r.json()).samples;
            const four = samples.find((s) => s.label === 4);
            const nine = samples.find((s) => s.label === 9);
            window.__blend = four.pixels.map((v, i) => Math.min(1, (v + nine.pixels[i]) * 0.6));
        }"""
    )
    verdict = page.evaluate(
        """async () => {
            const r = await fetch('/activations', {method: 'POST',
              headers: {'Content-Type': 'application/json'},
              body: JSON.stringify({pixels: window.__blend})});
            const body = await r.json();
            const {assess} = await import('/static/demo/js/uncertainty.js');
            return [assess(body.probabilities, null).kind, body.probabilities];
        }"""
    )
    kind, probabilities = verdict
    ordered = sorted(probabilities, reverse=True)
    # The verdict follows the documented thresholds (top < 60 %, margin < 30 points, or entropy).
    expected_unsure = ordered[0] < 0.6 or ordered[0] - ordered[1] < 0.3
    if expected_unsure:
        assert kind == "unsure"
    # And the page shows an unsure verdict for a known-unsure distribution.
    assert page.evaluate(
        """async () => {
            const {assess} = await import('/static/demo/js/uncertainty.js');
            const p = [0.02, 0.01, 0.01, 0.01, 0.45, 0.02, 0.01, 0.01, 0.02, 0.44];
            const v = assess(p, {ink: 0.1, extent: 0.6, aspect: 1.3, density: 0.3});
            return [v.kind, v.headline];
        }"""
    ) == ["unsure", "Unsure: 4 or 9? (45 % against 44 %.)"]
    assert page_errors.messages == []


@pytest.mark.mnist
def test_a_small_digit_still_reads_with_the_automatic_pen(
    page: Page, page_errors: PageErrors, live_server: Any, demo_model: Any
) -> None:
    open_demo(page, live_server.url)
    clear_pad(page)
    # A 7 drawn in a fifth of the pad, in a corner.
    tiny = [(0.05 + x * 0.2, 0.05 + y * 0.2) for x, y in SEVEN]
    draw_stroke(page, "#pad", tiny)
    expect(page.locator("#prediction")).to_have_attribute("data-state", "done")
    expect(page.locator("#predicted-digit")).to_have_text("7")
    expect(page.locator("#prediction")).to_have_attribute("data-verdict", "confident")

    # A fixed thick pen blots the same small drawing: the pad redraws the strokes with it.
    page.locator("#pen-width").select_option("26")
    expect(page.locator("#predicted-digit")).not_to_have_text("7")
    page.locator("#pen-width").select_option("auto")
    expect(page.locator("#predicted-digit")).to_have_text("7")
    assert page_errors.messages == []
