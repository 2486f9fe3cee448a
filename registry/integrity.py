"""Checks that a model's files are fit to serve: `check_files`, used by push, sync and each load.

`check_files` compares the weights with their recorded SHA-256, loads and validates both files
(`nn_core.model_files`), compares the layer sizes with the registered ones, and runs the probe.
A weights file can be well-formed, with the right shapes and only finite numbers, and still be
damaged: 64 overwritten bytes turn some weights into huge values whose products overflow to
infinity and NaN. So every validation also runs a forward pass over a fixed probe batch and
refuses non-finite outputs, and serving checks each answer the same way (`non_finite_reason`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from nn_core.model_files import LoadedModel, ModelFileError, load_model, sha256_file
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


Stage = Literal["checksum", "invalid", "sizes", "probe"]


class FilesRejected(Exception):  # noqa: N818 (reads as what happened: "raise FilesRejected")
    """A model's files are unfit to serve.

    Attributes:
        stage: The check that failed: "checksum", "invalid" (the files do not load), "sizes"
            (other layer sizes than registered) or "probe".
        detail: What the check found, worded to follow the file's name ("failed validation: ...").
    """

    def __init__(self, stage: Stage, detail: str) -> None:
        super().__init__(detail)
        self.stage = stage
        self.detail = detail

    def reason(self, filename: str, revision: str = "") -> str:
        """The sentence the registry records (a row's status reason, a sync report)."""
        if self.stage == "checksum":
            return f"checksum mismatch: {filename} at revision {revision[:12]} {self.detail}"
        if self.stage == "sizes":
            return self.detail
        return f"{filename} {self.detail}"


def check_files(
    weights: Path,
    metadata: Path,
    *,
    sha256: str | None = None,
    sizes: Sequence[int] | None = None,
) -> LoadedModel:
    """Verify, load and probe a model's files; the loaded model when they are fit to serve.

    Args:
        weights: The `.safetensors` file.
        metadata: Its `.json` metadata.
        sha256: The SHA-256 the weights must have (None: not compared).
        sizes: The layer sizes the network must have (None: not compared).

    Raises:
        FilesRejected: A check failed; `reason()` says which and why.
    """
    if sha256:
        actual = sha256_file(weights)
        if actual != sha256:
            raise FilesRejected("checksum", f"has SHA-256 {actual}, expected {sha256}")
    try:
        loaded = load_model(weights, metadata)
    except (ModelFileError, OSError) as exc:
        raise FilesRejected("invalid", f"failed validation: {exc}") from None
    if sizes is not None and list(loaded.network.sizes) != list(sizes):
        raise FilesRejected(
            "sizes",
            f"layer sizes {loaded.network.sizes} of the file differ from the registered "
            f"{list(sizes)}",
        )
    problem = probe_problem(loaded.network)
    if problem:
        raise FilesRejected("probe", problem)
    return loaded
