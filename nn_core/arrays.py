"""Array types shared by every module of `nn_core` (and the apps above it)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]
"""A floating-point array of any precision: activations, weights, gradients."""

FloatArray = NDArray[np.float32]
"""A float32 array: pixels as the API and the networks' float32 layers hold them."""
