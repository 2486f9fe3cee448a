"""Checks that a network is fit to serve, beyond the structure `nn_core.model_files` checks.

A weights file can be well-formed, with the right shapes and only finite numbers, and still be
damaged: 64 overwritten bytes turn some weights into huge values whose products overflow to
infinity and NaN. So every validation (push, sync, each load) also runs a forward pass over a fixed
probe batch and refuses non-finite outputs, and serving checks each answer the same way
(`non_finite_reason`).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import numpy.typing as npt

from nn_core.sequential import Sequential

PROBE_IMAGES = 8
PROBE_SEED = 20240909


@functools.cache
def probe_batch(n_in: int) -> npt.NDArray[np.float32]:
    """The probe batch for `n_in` inputs: black, white, and noise images (values in 0..1).

    Fixed (seeded), so a model passes or fails the probe the same way every time.
    """
    rng = np.random.default_rng(PROBE_SEED)
    noise = rng.random((PROBE_IMAGES - 2, n_in), dtype=np.float32)
    sparse = noise * (noise > 0.8)  # mostly dark, like a digit on black
    batch = np.vstack([np.zeros(n_in), np.ones(n_in), noise[: PROBE_IMAGES // 2], sparse[:2]])
    batch = batch.astype(np.float32)
    batch.setflags(write=False)
    return batch


def non_finite_reason(values: npt.ArrayLike, what: str) -> str:
    """Why `values` cannot be served ("" when every value is finite)."""
    array = np.asarray(values, dtype=np.float64)
    bad = int(array.size - np.count_nonzero(np.isfinite(array)))
    if not bad:
        return ""
    return f"{what} has {bad} non-finite value{'s' if bad != 1 else ''} (NaN or infinity)"


def probe_problem(network: Sequential) -> str:
    """Run the probe batch; why the network is unfit to serve ("" when it passes).

    Checks the probabilities of the whole batch and every layer's activations and
    pre-activations of its first image (what `/activations` returns).
    """
    n_in = int(network.sizes[0])
    try:
        with np.errstate(all="ignore"):  # overflow is the finding here, not a warning to print
            probabilities = network.predict(probe_batch(n_in)).probabilities
            layers: list[Any] = list(network.activations(probe_batch(n_in)[PROBE_IMAGES - 1]))
    except (ValueError, FloatingPointError, ArithmeticError) as exc:
        return f"the probe forward pass failed ({type(exc).__name__}: {exc})"
    reason = non_finite_reason(probabilities, "the output of the probe batch")
    for layer in layers:
        if reason:
            break
        reason = non_finite_reason(layer.values, f"layer {layer.index} of a probe image")
        if not reason and layer.pre_activations is not None:
            reason = non_finite_reason(
                layer.pre_activations, f"the weighted inputs of layer {layer.index}"
            )
    return f"failed the probe forward pass: {reason}" if reason else ""
