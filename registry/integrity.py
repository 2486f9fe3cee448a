"""Checks that a model's files are fit to serve: `check_files`, used by push, sync and each load.

`check_files` compares the weights and the metadata with their recorded SHA-256, loads and validates
both files
(`nn_core.model_files`), compares the layer sizes with the registered ones, and runs the probe.
A weights file can be well-formed, with the right shapes and only finite numbers, and still be
damaged: 64 overwritten bytes turn some weights into huge values whose products overflow to
infinity and NaN. So every validation also runs a forward pass over a fixed probe batch and
refuses non-finite outputs, and serving checks each answer the same way (`non_finite_reason`).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from nn_core.model_files import LoadedModel, ModelFileError, load_model, sha256_file
from nn_core.sequential import Sequential

if TYPE_CHECKING:
    from registry.stores.base import ModelStore

logger = logging.getLogger(__name__)

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
        subject: The file that failed when it is not the weights (the metadata's checksum).
    """

    def __init__(self, stage: Stage, detail: str, subject: str = "") -> None:
        super().__init__(detail)
        self.stage = stage
        self.detail = detail
        self.subject = subject

    def reason(self, filename: str, revision: str = "") -> str:
        """The sentence the registry records (a row's status reason, a sync report)."""
        filename = self.subject or filename
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
    metadata_sha256: str | None = None,
    sizes: Sequence[int] | None = None,
) -> LoadedModel:
    """Verify, load and probe a model's files; the loaded model when they are fit to serve.

    Args:
        weights: The `.safetensors` file.
        metadata: Its `.json` metadata.
        sha256: The SHA-256 the weights must have (None: not compared).
        metadata_sha256: The SHA-256 the metadata must have (None: not compared). The metadata
            decides the activations, so a changed byte there changes every answer too.
        sizes: The layer sizes the network must have (None: not compared).

    Raises:
        FilesRejected: A check failed; `reason()` says which and why.
    """
    if sha256:
        actual = sha256_file(weights)
        if actual != sha256:
            raise FilesRejected("checksum", f"has SHA-256 {actual}, expected {sha256}")
    if metadata_sha256:
        actual = sha256_file(metadata)
        if actual != metadata_sha256:
            raise FilesRejected(
                "checksum",
                f"has SHA-256 {actual}, expected {metadata_sha256}",
                subject=metadata.name,
            )
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


def fetch_verified(store: ModelStore, filename: str, revision: str, sha256: str | None) -> Path:
    """`store.fetch` a file and compare it with its recorded SHA-256 (None: not compared).

    A copy that does not match is removed from the cache (blob and snapshot link) and fetched
    once more, so bytes damaged on the way, or cached by an older version that kept them, are
    never kept; when the second copy fails too, it is removed as well and the next attempt (the
    next sync, the next load) downloads again. A local store has no cache: its file is the
    original, so a mismatch there is a damaged store.

    Raises:
        FilesRejected: Both copies differ from `sha256` (stage "checksum", `subject` the file).
        StoreError: The store cannot provide the file.
    """
    path = store.fetch(filename, revision)
    if not sha256:
        return path
    for attempt in (1, 2):
        actual = sha256_file(path)
        if actual == sha256:
            return path
        store.discard(filename, revision)
        logger.warning(
            "%s at revision %s has SHA-256 %s, expected %s: removed from the cache (attempt %d)",
            filename,
            revision[:12],
            actual,
            sha256,
            attempt,
        )
        if attempt == 1:
            path = store.fetch(filename, revision)
    raise FilesRejected(
        "checksum",
        f"has SHA-256 {actual}, but {sha256} was recorded when it was pushed",
        subject=filename,
    )


_unverified_lock = threading.Lock()
_unverified_seen: set[tuple[str, str]] = set()


def note_unverified_metadata(name: str, revision: str) -> None:
    """Log once per process that a model's metadata has no recorded checksum (an older push).

    Models pushed before metadata checksums were recorded keep working; they are "unverified
    legacy" until pushed again.
    """
    key = (name, revision)
    with _unverified_lock:
        if key in _unverified_seen:
            return
        _unverified_seen.add(key)
    logger.warning(
        "model %s at revision %s: its metadata has no recorded SHA-256 (pushed before metadata "
        "checksums were recorded), so it is not verified; push the model again to record one",
        name,
        revision[:12],
    )
