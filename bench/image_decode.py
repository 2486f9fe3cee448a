"""CPU cost of a large uploaded image: `inference.images.decode_image` against a full-size decode.

Run: `.venv/bin/python -m bench.image_decode` (seconds). Figures to read, not a test to pass.

A 4096 x 4096 PNG and a JPEG of the same drawing (the largest images the API accepts; the PNG is
a few tens of KB) are decoded, made grayscale and turned into the 784 pixels the network sees, by
`inference.services.image_to_pixels` (Hippo's path: scaled JPEG decoding, integer reduction before
per-pixel work) and, as the peer in the same run, by the full-resolution path Hippo used before:
decode every pixel, convert to grayscale floats, then normalise. CPU seconds per image (median of
`BENCH_REPEAT` runs, default 5) and the ratio are printed.
"""

from __future__ import annotations

import io
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps

SIDE = 4096


def drawing() -> Image.Image:
    """A "7" drawn across a 4096 x 4096 canvas."""
    image = Image.new("L", (SIDE, SIDE), 255)
    scale = SIDE / 280
    draw = ImageDraw.Draw(image)
    width = int(22 * scale)
    draw.line([(70 * scale, 60 * scale), (210 * scale, 60 * scale)], fill=0, width=width)
    draw.line([(210 * scale, 60 * scale), (120 * scale, 230 * scale)], fill=0, width=width)
    return image


def encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB" if fmt == "JPEG" else "L").save(buffer, format=fmt)
    return buffer.getvalue()


def full_size_pixels(data: bytes) -> object:
    """The peer: every pixel decoded and converted to floats before normalisation."""
    from nn_core.preprocessing import normalize_digit

    opened = Image.open(io.BytesIO(data))
    opened.load()
    image = ImageOps.exif_transpose(opened)
    return normalize_digit(np.asarray(image.convert("L"), dtype=np.float32))


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_seconds(function: Callable[[bytes], object], data: bytes, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.process_time()
        function(data)
        times.append(time.process_time() - started)
    return statistics.median(times)


def main() -> None:
    """Print the CPU seconds per image of both paths, for a PNG and a JPEG."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hippo_site.settings")
    import django

    django.setup()
    from inference.services import image_to_pixels

    repeat = int(os.environ.get("BENCH_REPEAT", "5"))
    image = drawing()
    print(f"load average before: {load_average()}")
    for fmt in ("PNG", "JPEG"):
        data = encoded(image, fmt)
        hippo = cpu_seconds(image_to_pixels, data, repeat)
        full = cpu_seconds(full_size_pixels, data, repeat)
        print(
            f"{fmt} {SIDE}x{SIDE} ({len(data) / 1024:.0f} KiB): image_to_pixels "
            f"{hippo * 1e3:.0f} ms CPU, full-size decode {full * 1e3:.0f} ms CPU, "
            f"ratio {full / hippo:.1f}x"
        )
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
