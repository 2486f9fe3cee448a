"""Weight initialization suited to the activation.

If the n_in inputs of a neuron are independent with unit variance and its weights have variance
s², then z = Σ w·a has variance n_in·s². Nielsen's chapter 1 draws w ~ N(0, 1), so z has a
standard deviation of √784 ≈ 28 and a sigmoid neuron starts saturated (σ′ ≈ 0: it learns slowly).
The fix is to scale the variance by the fan-in:

* **He** (He et al., 2015) for ReLU and leaky ReLU: Var(w) = 2 / n_in. ReLU zeroes half of its
  inputs on average, and the factor 2 makes up for it, so the signal keeps its scale through
  every layer.
* **Glorot / Xavier** (Glorot & Bengio, 2010) for sigmoid, tanh and the output layer:
  Var(w) = 2 / (n_in + n_out), a compromise that keeps both the forward activations and the
  backward gradients at roughly constant variance for symmetric, unit-slope-at-zero functions.

Biases start at 0: the random weights already break the symmetry between neurons.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray


def init_std(activation: str, fan_in: int, fan_out: int) -> float:
    """Return the standard deviation of the normal weight distribution for one layer.

    Args:
        activation: The layer's activation: "relu" / "leaky_relu" get He, anything else
            (sigmoid, tanh, the softmax or sigmoid output) gets Glorot.
        fan_in: Inputs per neuron (the size of the previous layer).
        fan_out: Neurons in the layer.
    """
    if activation in ("relu", "leaky_relu"):
        return math.sqrt(2.0 / fan_in)
    return math.sqrt(2.0 / (fan_in + fan_out))


def standard_normal(
    rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype[Any]
) -> NDArray[np.floating]:
    """N(0, 1) samples drawn directly in float32 or float64 (no rounding of float64 draws)."""
    if dtype == np.float32:
        return rng.standard_normal(shape, dtype=np.float32)
    return rng.standard_normal(shape, dtype=np.float64)


def init_parameters(
    sizes: list[int],
    activation: str,
    rng: np.random.Generator,
    dtype: DTypeLike = np.float32,
) -> tuple[list[NDArray[np.floating]], list[NDArray[np.floating]]]:
    """Draw the weights and biases of a network with layer sizes ``sizes``.

    Hidden layers use the rule for ``activation``; the output layer (softmax or sigmoid) uses
    Glorot. Samples are drawn directly in ``dtype``, so a seed gives the same bits every time.

    Returns:
        ``(weights, biases)`` with ``weights[l].shape == (sizes[l+1], sizes[l])`` and
        ``biases[l].shape == (sizes[l+1],)``.
    """
    weights: list[NDArray[np.floating]] = []
    biases: list[NDArray[np.floating]] = []
    last = len(sizes) - 2
    for layer, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        rule = "output" if layer == last else activation
        w = standard_normal(rng, (fan_out, fan_in), np.dtype(dtype))
        w *= init_std(rule, fan_in, fan_out)
        weights.append(w)
        biases.append(np.zeros(fan_out, dtype=dtype))
    return weights, biases
