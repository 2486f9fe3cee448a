"""Vanishing gradients, shown: the error on the hidden state at every step, RNN against LSTM.

``python -m training.gradient_norms [PNG]`` (default ``docs/img/rnn-vs-lstm-gradient-norms.png``)
builds the ``rnn`` and ``lstm`` presets (``--arch`` chooses; ``gru`` too) with the same seed,
backpropagates the same mini-batch of MNIST training digits through each
(:meth:`~nn_core.sequential.Sequential.backprop` with the recurrent layer's
``record_state_gradients`` on) and plots ‖δhₜ‖ = ‖∂C/∂hₜ‖ over the
batch for every step t = 1 … 28, divided by its value at the last step (where the error enters
from the output layer), on a logarithmic axis. It does so at initialisation and, with
``--trained MODEL.safetensors …``, for trained models too (the curves are labelled by file).

What the figure shows is explained in docs/TRAINING.md ("Vanishing gradients") and, with the
maths, in :mod:`nn_core.layers.recurrent.base`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")  # before pyplot: no display needed

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt

from nn_core.layers import PRESETS, parse_layers
from nn_core.layers.recurrent import Recurrent
from nn_core.mnist import load_splits
from nn_core.model_files import load_model
from nn_core.sequential import Sequential

DEFAULT_PATH = Path("docs/img/rnn-vs-lstm-gradient-norms.png")
BATCH = 128
SEED = 1


def state_gradient_norms(
    network: Sequential, images: npt.NDArray[np.float32], labels: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """‖∂C/∂hₜ‖ over the batch for every step of the network's first recurrent layer.

    Raises:
        ValueError: The network has no recurrent layer.
    """
    layer = next((ly for ly in network.layers if isinstance(ly, Recurrent)), None)
    if layer is None:
        raise ValueError("the network has no recurrent layer")
    targets = np.eye(network.n_outputs, dtype=network.dtype)[labels]
    layer.record_state_gradients = True
    try:
        network.backprop(np.ascontiguousarray(images, dtype=network.dtype), targets)
        norms = layer.state_gradient_norms
    finally:
        layer.record_state_gradients = False
        network.clear_buffers()
    assert norms is not None
    return np.asarray(norms, dtype=np.float64)


def plot_gradient_norms(curves: dict[str, npt.NDArray[np.float64]], path: Path) -> Path:
    """Draw each curve (divided by its last step's value) on a log axis into a PNG."""
    figure, axis = plt.subplots(figsize=(7.0, 4.2), dpi=100)
    for label, norms in curves.items():
        steps = np.arange(1, len(norms) + 1)
        axis.semilogy(steps, norms / norms[-1], marker="o", markersize=3, label=label)
    axis.set_xlabel("time step t (pixel row of the digit)")
    axis.set_ylabel("‖∂C/∂hₜ‖ / ‖∂C/∂h₂₈‖")
    axis.set_title("Error reaching each row (same batch of 128 digits)")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and plot; print the ratio first step / last step of every curve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument(
        "--arch", nargs="*", default=["rnn", "lstm"], choices=["rnn", "lstm", "gru"]
    )
    parser.add_argument("--trained", nargs="*", type=Path, default=[], metavar="MODEL")
    args = parser.parse_args(argv)
    train = load_splits().train
    images, labels = train.images[:BATCH], train.labels[:BATCH]
    curves: dict[str, npt.NDArray[np.float64]] = {}
    for arch in args.arch:
        network = Sequential(parse_layers(PRESETS[arch]), [784], seed=SEED)
        curves[f"{PRESETS[arch].split(',')[0]}, initialised (seed {SEED})"] = state_gradient_norms(
            network, images, labels
        )
    for model_path in args.trained:
        network = load_model(model_path).network
        curves[f"{model_path.stem}, trained"] = state_gradient_norms(network, images, labels)
    for label, norms in curves.items():
        print(f"{label}: ‖δh₁‖/‖δh₂₈‖ = {norms[0] / norms[-1]:.3g}")
    print(f"wrote {plot_gradient_norms(curves, args.path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
