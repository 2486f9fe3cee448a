"""Gradient-norm clipping: rescale all gradients together when their norm is too large.

Backpropagation through time multiplies the error by U's Jacobian once per step (see
:mod:`nn_core.layers.recurrent.base`), so a recurrent network's gradient can grow geometrically
with the sequence length and one bad mini-batch can throw the weights far away. Clipping by the
global norm (Pascanu, Mikolov & Bengio, 2013) treats all parameters' gradients g₁ … g_k as one
vector g and, when ‖g‖ = √(Σ ‖gᵢ‖²) exceeds a threshold τ, scales every gᵢ by τ/‖g‖:

    g ← g · min(1, τ / ‖g‖)

The direction of the step is kept; only its length is capped. Below the threshold nothing
changes, so a well-behaved run is not affected at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]


def gradient_norm(grads: Sequence[Array]) -> float:
    """‖g‖, the Euclidean norm of all the arrays taken as one vector."""
    total = 0.0
    for grad in grads:
        flat = grad.reshape(-1)
        total += float(np.dot(flat, flat))
    return math.sqrt(total)


def clip_gradient_norm(grads: Sequence[Array], max_norm: float) -> float:
    """Scale ``grads`` in place so that their global norm is at most ``max_norm``.

    Args:
        grads: The gradient arrays (e.g. ``network.parameter_gradients()``), changed in place.
        max_norm: τ > 0.

    Returns:
        The norm before clipping (NaN or infinity is returned as is, and the gradients are left
        alone: the training loop's divergence guard deals with that).

    Raises:
        ValueError: ``max_norm`` is not a positive finite number.
    """
    if not (math.isfinite(max_norm) and max_norm > 0):
        raise ValueError(f"max_norm must be a positive number, got {max_norm}")
    norm = gradient_norm(grads)
    if math.isfinite(norm) and norm > max_norm:
        scale = max_norm / norm
        for grad in grads:
            grad *= scale
    return norm
