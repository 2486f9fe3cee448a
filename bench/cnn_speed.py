"""CNN speed: Hippo's convolutional network beside PyTorch (CPU) on the same work, same run.

Run: ``HIPPO_MNIST_DIR=../shared/mnist .venv/bin/python -m bench.cnn_speed`` (also the last
part of ``bench.train_speed``). Figures to read, not a test to pass.

Both train the ``cnn-small`` preset (the recommended recipe's architecture, docs/TRAINING.md)
with Adam at batch 64 on the same ``BENCH_CNN_SAMPLES`` MNIST training images (default 10,000;
the epoch time is scaled to 50,000 and the output says so), with the same number of threads
(``BENCH_CNN_THREADS``, default 1, Hippo's setting for convolutions); each side's best of
``BENCH_CNN_ROUNDS`` epochs. Then the forward-pass latency of one image (median of 200) and of
1,000 images (best of 5), for both, single-threaded, as a server worker runs it.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np

from bench.torch_peer import run_torch
from nn_core import training_loop
from nn_core.layers import PRESETS, parse_layers
from nn_core.mnist import MnistNotFoundError, load_splits
from nn_core.sequential import Sequential
from nn_core.training_loop import limit_blas_threads

ARCH = "cnn-small"
EPOCH_SAMPLES = 50_000
TARGET_RATIO = 2.0
TARGET_ONE_MS = 1.0
TARGET_THOUSAND_MS = 100.0


def hippo_epoch(network: Sequential, X: np.ndarray, y: np.ndarray, batch: int) -> float:
    """Seconds for one training epoch over (X, y)."""
    started = time.perf_counter()
    network.train((X, y), 1, batch, 0.001, optimizer="adam", verbose=False)
    return time.perf_counter() - started


def hippo_latency(network: Sequential, X: np.ndarray) -> tuple[float, float]:
    """(median ms of one image, best ms of 1,000 images), single-threaded."""
    with limit_blas_threads(1):
        for i in range(20):
            network.predict(X[i])
        singles = []
        for i in range(200):
            started = time.perf_counter()
            network.predict(X[i])
            singles.append(time.perf_counter() - started)
        thousands = []
        for _ in range(5):
            started = time.perf_counter()
            network.predict(X[:1000])
            thousands.append(time.perf_counter() - started)
    return statistics.median(singles) * 1000, min(thousands) * 1000


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> int:
    samples = int(os.environ.get("BENCH_CNN_SAMPLES", "10000"))
    threads = int(os.environ.get("BENCH_CNN_THREADS", "1"))
    rounds = int(os.environ.get("BENCH_CNN_ROUNDS", "2"))
    batch = 64
    try:
        splits = load_splits()
    except MnistNotFoundError as error:
        print(f"bench.cnn_speed needs MNIST: {error}", file=sys.stderr)
        return 2
    X, y = splits.train.images[:samples], splits.train.labels[:samples]
    specs = parse_layers(PRESETS[ARCH])
    training_loop.CONV_BLAS_THREADS = threads
    load_before = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nCNN {ARCH} ({PRESETS[ARCH]}), Adam, batch {batch}, {threads} thread(s)")
    print(f"load average before: {load_before}")
    network = Sequential(specs, [1, 28, 28], seed=0)
    ours = []
    theirs: list[dict[str, float]] = []
    for _ in range(rounds):  # interleaved, so that both see the same machine load
        ours.append(hippo_epoch(network, X, y, batch))
        theirs.append(run_torch(specs, X, y, batch=batch, threads=threads, rounds=1))
    scale = EPOCH_SAMPLES / len(X)
    hippo_s, torch_s = min(ours) * scale, min(t["epoch_seconds"] for t in theirs) * scale
    ratio = hippo_s / torch_s
    one_ms, thousand_ms = hippo_latency(network, splits.test.images)
    torch_one = min(t["one_ms"] for t in theirs)
    torch_thousand = min(t["thousand_ms"] for t in theirs)
    print(
        f"training epoch (50,000 images, from {len(X):,} x{scale:g}): Hippo {hippo_s:.1f} s, "
        f"PyTorch {theirs[0]['torch']} {torch_s:.1f} s, ratio {ratio:.2f}"
    )
    print(
        f"forward, 1 image: Hippo {one_ms:.3f} ms, PyTorch {torch_one:.3f} ms; "
        f"1,000 images: Hippo {thousand_ms:.1f} ms, PyTorch {torch_thousand:.1f} ms"
    )
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("Targets:")
    print(f"  epoch ≤ {TARGET_RATIO:g}× PyTorch: {ratio:.2f}× {verdict(ratio <= TARGET_RATIO)}")
    print(f"  one image ≤ {TARGET_ONE_MS:g} ms: {one_ms:.3f} ms {verdict(one_ms <= TARGET_ONE_MS)}")
    print(
        f"  1,000 images ≤ {TARGET_THOUSAND_MS:g} ms: {thousand_ms:.1f} ms "
        f"{verdict(thousand_ms <= TARGET_THOUSAND_MS)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
