"""RNN speed: Hippo's LSTM beside PyTorch (CPU) on the same work, same run.

Run: ``HIPPO_MNIST_DIR=../shared/mnist .venv/bin/python -m bench.rnn_speed`` (also the last
part of ``bench.train_speed``). Figures to read, not a test to pass.

Both train the ``lstm`` preset (``lstm128,dense10``: a digit read as 28 rows of 28 pixels, the
last state classified) with Adam at batch 128 on the same ``BENCH_RNN_SAMPLES`` MNIST training
images (default 10,000; the epoch time is scaled to 50,000 and the output says so), with the
same number of BLAS / intra-op threads (``BENCH_RNN_THREADS``, default 1, Hippo's setting for
training); each side's best of ``BENCH_RNN_ROUNDS`` epochs, interleaved so that both see the same
load. Then the forward-pass latency of one image (median of 200) and of 1,000 images (best of 5),
single-threaded, as a server worker runs it. Epochs are also given in CPU seconds (Hippo's side),
which a busy machine inflates less than wall time.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from bench.cnn_speed import hippo_latency, verdict
from bench.torch_peer import run_torch
from nn_core import training_loop
from nn_core.hyperparameters import Hyperparameters
from nn_core.layers import PRESETS, parse_layers
from nn_core.mnist import MnistNotFoundError, load_splits
from nn_core.sequential import Sequential

ARCH = "lstm"
BATCH = 128
EPOCH_SAMPLES = 50_000
TARGET_RATIO = 2.0
TARGET_ONE_MS = 2.0
TARGET_THOUSAND_MS = 200.0


def hippo_epoch(network: Sequential, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one training epoch over (X, y), Adam 1e-3, no validation."""
    options = Hyperparameters(
        epochs=1,
        mini_batch_size=BATCH,
        learning_rate=0.001,
        optimizer="adam",
        l2=0.0,
        schedule="constant",
    )
    wall, cpu = time.perf_counter(), time.process_time()
    network.fit((X, y), options)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    samples = int(os.environ.get("BENCH_RNN_SAMPLES", "10000"))
    threads = int(os.environ.get("BENCH_RNN_THREADS", "1"))
    rounds = int(os.environ.get("BENCH_RNN_ROUNDS", "2"))
    try:
        splits = load_splits()
    except MnistNotFoundError as error:
        print(f"bench.rnn_speed needs MNIST: {error}", file=sys.stderr)
        return 2
    X, y = splits.train.images[:samples], splits.train.labels[:samples]
    specs = parse_layers(PRESETS[ARCH])
    training_loop.TRAINING_BLAS_THREADS = threads
    print(f"\nRNN {ARCH} ({PRESETS[ARCH]}), Adam, batch {BATCH}, {threads} thread(s)")
    print(f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    network = Sequential(specs, [784], seed=0)
    ours: list[tuple[float, float]] = []
    theirs: list[dict[str, float]] = []
    for _ in range(rounds):  # interleaved, so that both see the same machine load
        ours.append(hippo_epoch(network, X, y))
        theirs.append(run_torch(specs, X, y, batch=BATCH, threads=threads, rounds=1))
    scale = EPOCH_SAMPLES / len(X)
    hippo_s = min(wall for wall, _ in ours) * scale
    hippo_cpu = min(cpu for _, cpu in ours) * scale
    torch_s = min(t["epoch_seconds"] for t in theirs) * scale
    torch_cpu = min(t["epoch_cpu_seconds"] for t in theirs) * scale
    ratio = hippo_s / torch_s
    cpu_ratio = hippo_cpu / torch_cpu
    one_ms, thousand_ms = hippo_latency(network, splits.test.images)
    torch_one = min(t["one_ms"] for t in theirs)
    torch_thousand = min(t["thousand_ms"] for t in theirs)
    print(
        f"training epoch (50,000 images, from {len(X):,} x{scale:g}): Hippo {hippo_s:.1f} s "
        f"({hippo_cpu:.1f} s CPU), PyTorch {theirs[0]['torch']} {torch_s:.1f} s "
        f"({torch_cpu:.1f} s CPU), ratio {ratio:.2f} ({cpu_ratio:.2f} in CPU time)"
    )
    print(
        f"forward, 1 image: Hippo {one_ms:.3f} ms, PyTorch {torch_one:.3f} ms; "
        f"1,000 images: Hippo {thousand_ms:.1f} ms, PyTorch {torch_thousand:.1f} ms"
    )
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("Targets:")
    print(
        f"  epoch ≤ {TARGET_RATIO:g}× PyTorch: {ratio:.2f}× {verdict(ratio <= TARGET_RATIO)} "
        f"(CPU time: {cpu_ratio:.2f}× {verdict(cpu_ratio <= TARGET_RATIO)})"
    )
    print(f"  one image ≤ {TARGET_ONE_MS:g} ms: {one_ms:.3f} ms {verdict(one_ms <= TARGET_ONE_MS)}")
    print(
        f"  1,000 images ≤ {TARGET_THOUSAND_MS:g} ms: {thousand_ms:.1f} ms "
        f"{verdict(thousand_ms <= TARGET_THOUSAND_MS)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
