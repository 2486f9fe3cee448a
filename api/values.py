"""How the API writes numbers that stand for pixels."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

PIXEL_DECIMALS = 6
"""float32 holds about 7 significant digits; 6 decimals keep the JSON short and lose nothing."""


def pixels_json(pixels: npt.ArrayLike) -> list[float]:
    """Pixels (any shape, 0..1) as a flat-or-nested JSON list rounded to `PIXEL_DECIMALS`."""
    rounded: list[float] = np.round(np.asarray(pixels, dtype=np.float64), PIXEL_DECIMALS).tolist()
    return rounded
