"""MNIST for the web service: the splits loaded once per process and shared by every request.

The arrays (about 220 MB as float32) are loaded lazily on first use, under a lock so concurrent
first requests load them once, and are then read-only for the life of the process. Changing
`HIPPO_MNIST_DIR` / `HIPPO_MNIST_CACHE` (as tests do with `override_settings`) forgets them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from nn_core.mnist import (
    SPLIT_NAMES,
    MnistFormatError,
    MnistNotFoundError,
    MnistSplits,
    load_splits,
    locate_mnist,
)

_lock = threading.Lock()
_splits: MnistSplits | None = None


@dataclass(frozen=True)
class MnistStatus:
    """Whether MNIST can be served.

    Attributes:
        ok: True when the splits are loaded (or load now).
        detail: A sentence for humans; when not ok, how to provide the files.
        source: Where the data came from (a folder or `cache <folder>`), None when not ok.
    """

    ok: bool
    detail: str
    source: str | None

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True)
class Sample:
    """One MNIST image: `index` in the split, `label`, and `pixels` float32 (784,) in 0..1."""

    index: int
    label: int
    pixels: np.ndarray


def source_dir() -> Path | None:
    """`settings.HIPPO_MNIST_DIR` as a path, None when empty."""
    value = str(getattr(settings, "HIPPO_MNIST_DIR", "") or "").strip()
    return Path(value) if value else None


def cache_dir() -> Path:
    """`settings.HIPPO_MNIST_CACHE`, where `fetch_mnist` downloads and the `.npy` cache lives."""
    return Path(settings.HIPPO_MNIST_CACHE)


def _freeze(splits: MnistSplits) -> MnistSplits:
    # Shared by every request thread: nobody may write into them.
    for name in SPLIT_NAMES:
        split = splits.get(name)
        split.images.setflags(write=False)
        split.labels.setflags(write=False)
    return splits


def get_splits() -> MnistSplits:
    """The MNIST splits of this process, loaded on first call (thread-safe).

    Raises:
        MnistNotFoundError: The files are nowhere (the message says how to provide them).
        MnistFormatError: A file is present but corrupt.
    """
    global _splits
    splits = _splits
    if splits is not None:
        return splits
    with _lock:
        if _splits is None:
            _splits = _freeze(load_splits(source_dir(), cache_dir(), use_env=False))
        return _splits


def reset(splits: MnistSplits | None = None) -> None:
    """Forget the loaded splits (the next call reloads), or install `splits` in their place."""
    global _splits
    with _lock:
        _splits = _freeze(splits) if splits is not None else None


def is_loaded() -> bool:
    """True when this process holds the splits already."""
    return _splits is not None


@receiver(setting_changed)
def _forget_on_settings_change(setting: str, **kwargs: Any) -> None:
    if setting in ("HIPPO_MNIST_DIR", "HIPPO_MNIST_CACHE"):
        reset()


def mnist_status() -> MnistStatus:
    """Whether MNIST is available (loading it if needed). Never raises."""
    try:
        splits = get_splits()
    except (MnistNotFoundError, MnistFormatError) as exc:
        return MnistStatus(ok=False, detail=str(exc), source=None)
    except Exception as exc:  # a status probe reports, it never fails
        return MnistStatus(
            ok=False, detail=f"MNIST cannot be loaded ({type(exc).__name__}: {exc})", source=None
        )
    sizes = ", ".join(f"{name} {len(splits.get(name)):,}" for name in SPLIT_NAMES)
    return MnistStatus(
        ok=True, detail=f"MNIST loaded from {splits.source}: {sizes}", source=splits.source
    )


def mnist_location() -> str | None:
    """Cheaply say where MNIST would load from, without loading it (None: nowhere)."""
    return locate_mnist(source_dir(), cache_dir(), use_env=False)


def sample(dataset: str, count: int, seed: int | None = None) -> list[Sample]:
    """Draw `count` distinct images of `dataset` (`train`, `validation` or `test`).

    Args:
        dataset: The split.
        count: How many, 1..len(split).
        seed: The same seed gives the same samples; None draws at random.

    Raises:
        ValueError: Unknown dataset or count out of range.
        MnistNotFoundError: MNIST is absent.
    """
    if dataset not in SPLIT_NAMES:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {', '.join(SPLIT_NAMES)}")
    split = get_splits().get(dataset)
    if not 1 <= count <= len(split):
        raise ValueError(f"count must be within 1..{len(split)}, got {count}")
    rng = np.random.default_rng(seed)
    indices = rng.choice(len(split), size=count, replace=False)
    return [
        Sample(index=int(i), label=int(split.labels[i]), pixels=split.images[i]) for i in indices
    ]
