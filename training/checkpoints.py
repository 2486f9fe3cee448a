"""A run's epoch checkpoint on disk: everything needed to go on as if it had never stopped.

One ``.npz`` file (``allow_pickle=False``), rewritten atomically after every epoch: the network's
parameters now and at its best validation epoch, the optimizer's memory, the random generator's
state, the history so far and the configuration (with the seed). A run resumed from it ends with
the same weights as the same run left alone (:func:`training.run.run_training`).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nn_core.arrays import Array
from nn_core.atomic_files import atomic_writer
from nn_core.hyperparameters import Hyperparameters
from nn_core.training_loop import LoopState

FORMAT = "hippo-run-checkpoint/1"

Parameters = list[list[Array]]
"""Per layer with parameters, its arrays (weight, bias, …), as ``Sequential.load_parameters``."""


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read back."""


@dataclass(frozen=True)
class RunCheckpoint:
    """The state of a run after ``loop.epoch`` epochs.

    Attributes:
        config: The configuration, its ``seed`` set.
        loop: Optimizer and generator state (:class:`nn_core.training_loop.LoopState`).
        parameters: The network's parameters after the epoch.
        best_parameters: Those of the best validation epoch so far.
        best_epoch: That epoch.
        best_accuracy: Its validation accuracy (percent), None without validation.
        history: One dict per epoch, as :class:`training.run.TrainingResult` keeps it.
        train_seconds: Training time spent so far (every attempt).
    """

    config: Hyperparameters
    loop: LoopState
    parameters: Parameters
    best_parameters: Parameters
    best_epoch: int
    best_accuracy: float | None
    history: list[dict[str, Any]]
    train_seconds: float


def _put(arrays: dict[str, Array], prefix: str, parameters: Parameters) -> list[int]:
    for layer, group in enumerate(parameters):
        for index, array in enumerate(group):
            arrays[f"{prefix}/{layer}/{index}"] = np.asarray(array)
    return [len(group) for group in parameters]


def _take(data: Any, prefix: str, counts: list[int]) -> Parameters:
    return [[data[f"{prefix}/{layer}/{i}"] for i in range(n)] for layer, n in enumerate(counts)]


def save_checkpoint(checkpoint: RunCheckpoint, path: Path) -> Path:
    """Write the checkpoint to ``path`` atomically (a reader sees the old one or the new one)."""
    arrays: dict[str, Array] = {}
    optimizer_lists: dict[str, int] = {}
    optimizer_scalars: dict[str, Any] = {}
    for key, value in checkpoint.loop.optimizer.items():
        if isinstance(value, list):
            optimizer_lists[key] = len(value)
            for index, array in enumerate(value):
                arrays[f"optimizer/{key}/{index}"] = array
        else:
            optimizer_scalars[key] = value
    meta = {
        "format": FORMAT,
        "config": checkpoint.config.to_dict(),
        "epoch": checkpoint.loop.epoch,
        "rng": checkpoint.loop.rng,
        "optimizer_lists": optimizer_lists,
        "optimizer_scalars": optimizer_scalars,
        "parameters": _put(arrays, "params", checkpoint.parameters),
        "best_parameters": _put(arrays, "best", checkpoint.best_parameters),
        "best_epoch": checkpoint.best_epoch,
        "best_accuracy": checkpoint.best_accuracy,
        "history": checkpoint.history,
        "train_seconds": checkpoint.train_seconds,
    }
    # The generator's state holds integers beyond 2**53 (PCG64's 128-bit state): JSON keeps them.
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    with atomic_writer(path) as handle:
        handle.write(buffer.getvalue())
    return path


def load_checkpoint(path: Path) -> RunCheckpoint:
    """Read a checkpoint :func:`save_checkpoint` wrote.

    Raises:
        CheckpointError: a missing, truncated or foreign file.
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(data["meta"].tobytes().decode())
            if meta.get("format") != FORMAT:
                raise CheckpointError(f"{path}: not a Hippo run checkpoint")
            optimizer: dict[str, Any] = dict(meta["optimizer_scalars"])
            for key, count in meta["optimizer_lists"].items():
                optimizer[key] = [data[f"optimizer/{key}/{i}"] for i in range(count)]
            return RunCheckpoint(
                config=Hyperparameters.from_dict(meta["config"]),
                loop=LoopState(int(meta["epoch"]), optimizer, meta["rng"]),
                parameters=_take(data, "params", meta["parameters"]),
                best_parameters=_take(data, "best", meta["best_parameters"]),
                best_epoch=int(meta["best_epoch"]),
                best_accuracy=meta["best_accuracy"],
                history=list(meta["history"]),
                train_seconds=float(meta["train_seconds"]),
            )
    except CheckpointError:
        raise
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: cannot read the checkpoint ({exc})") from exc


__all__ = ["CheckpointError", "RunCheckpoint", "load_checkpoint", "save_checkpoint"]
