"""Bring your own image: upload (with `capture` for the camera on phones), paste and drag-and-drop,
all sent to `POST /predict/image`; the page shows the 28 × 28 pixels the network saw."""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.test_demo_page import open_demo
from tests.fixtures.browser import PHONE, PageErrors, PageFactory, Snapshot

if TYPE_CHECKING:
    from nn_core.mnist import MnistSplits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def photo_of_digit(splits: MnistSplits, index: int) -> tuple[bytes, int]:
    """A test digit as a 'photo': 10× larger, dark ink on light grey paper, off-centre (PNG)."""
    pixels = splits.test.images[index].reshape(28, 28)
    paper = np.full((400, 360), 225, dtype=np.uint8)
    big = np.kron(pixels, np.ones((10, 10)))
    paper[40:320, 20:300] = (225 - big * 200).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(paper, mode="L").save(buffer, format="PNG")
    return buffer.getvalue(), int(splits.test.labels[index])


def confident_index(splits: MnistSplits, digit: int) -> int:
    """The first test image of `digit` (these models read the first few of each digit right)."""
    return int(np.flatnonzero(splits.test.labels == digit)[0])


@pytest.mark.mnist
def test_uploading_an_image_shows_what_the_network_saw(
    page: Page,
    page_errors: PageErrors,
    snapshot: Snapshot,
    live_server: Any,
    demo_model: Any,
    mnist_splits: MnistSplits,
) -> None:
    png, label = photo_of_digit(mnist_splits, confident_index(mnist_splits, 3))
    open_demo(page, live_server.url)
    sent: list[str] = []
    page.on(
        "request",
        lambda r: (
            sent.append(r.headers.get("content-type", ""))
            if r.url.endswith("/predict/image")
            else None
        ),
    )
    file_input = page.locator("#image-input")
    expect(file_input).to_have_attribute("capture", "environment")
    expect(file_input).to_have_attribute("accept", "image/png,image/jpeg,image/*")

    file_input.set_input_files({"name": "digit.png", "mimeType": "image/png", "buffer": png})

    expect(page.locator("#prediction-source")).to_have_text("Your uploaded image")
    expect(page.locator("#predicted-digit")).to_have_text(str(label))
    assert any(kind.startswith("multipart/form-data") for kind in sent)
    # What the network saw: the server's 784 pixels, on the "seen" canvas and the pad.
    seen = page.locator("#seen").evaluate(
        """(c) => { const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
                    let ink = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 128) ink++;
                    return ink; }"""
    )
    assert 40 < seen < 400
    expect(page.get_by_role("button", name="Clear")).to_be_enabled()
    expect(page.locator(".layer-canvas")).to_have_count(len(demo_model.sizes))
    snapshot(page, "uploaded")

    # Not an image: said plainly, nothing else changes.
    file_input.set_input_files({"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"})
    expect(page.locator("#upload-error")).to_have_text("That file is not an image (PNG or JPEG).")
    expect(page.locator("#prediction-source")).to_have_text("Your uploaded image")
    assert page_errors.messages == []


@pytest.mark.mnist
def test_pasting_and_dropping_an_image(
    page: Page,
    page_errors: PageErrors,
    live_server: Any,
    demo_model: Any,
    mnist_splits: MnistSplits,
) -> None:
    open_demo(page, live_server.url)
    png, label = photo_of_digit(mnist_splits, confident_index(mnist_splits, 2))
    data = base64.b64encode(png).decode()
    make_transfer = """(b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], 'digit.png', {type: 'image/png'}));
        return transfer;
    }"""

    page.evaluate(
        f"""(b64) => {{
            const transfer = ({make_transfer})(b64);
            const paste = new ClipboardEvent('paste', {{clipboardData: transfer, bubbles: true}});
            document.dispatchEvent(paste);
        }}""",
        data,
    )
    expect(page.locator("#prediction-source")).to_have_text("Your pasted image")
    expect(page.locator("#predicted-digit")).to_have_text(str(label))

    png, label = photo_of_digit(mnist_splits, confident_index(mnist_splits, 0))
    data = base64.b64encode(png).decode()
    page.evaluate(
        f"""(b64) => {{
            const transfer = ({make_transfer})(b64);
            const target = document.getElementById('pad-wrap');
            for (const type of ['dragenter', 'dragover', 'drop']) {{
                const options = {{dataTransfer: transfer, bubbles: true, cancelable: true}};
                target.dispatchEvent(new DragEvent(type, options));
            }}
        }}""",
        data,
    )
    expect(page.locator("#prediction-source")).to_have_text("Your dropped image")
    expect(page.locator("#predicted-digit")).to_have_text(str(label))
    expect(page.locator("#pad-wrap")).not_to_have_class("pad is-drop-target")
    assert page_errors.messages == []


@pytest.mark.mnist
def test_a_blank_photo_is_refused_with_the_servers_reason(
    new_page: PageFactory, page_errors: PageErrors, live_server: Any, demo_model: Any
) -> None:
    page = new_page(PHONE, touch=True)
    open_demo(page, live_server.url)
    buffer = io.BytesIO()
    Image.new("L", (200, 200), 240).save(buffer, format="PNG")
    page.locator("#image-input").set_input_files(
        {"name": "blank.png", "mimeType": "image/png", "buffer": buffer.getvalue()}
    )
    expect(page.locator("#upload-error")).to_contain_text("That image could not be read")
    # The 400 response is logged by Chromium; the page itself raised nothing.
    assert [m for m in page_errors.messages if "status of 400" not in m] == []
