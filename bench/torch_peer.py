"""PyTorch (CPU) as the peer of the CNN and RNN benchmarks, in a throw-away virtualenv.

PyTorch is never a Hippo dependency: :func:`torch_python` creates ``/tmp/hippo-torch`` with the
machine's ``python3.11`` and installs the pinned wheel there (from the local package mirror; any
other version would download gigabytes), once. :func:`run_torch` runs :data:`SCRIPT` in it on
the same images, with the same architecture, batch size and thread count as Hippo's run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

VENV = Path(os.environ.get("HIPPO_TORCH_VENV", "/tmp/hippo-torch"))
TORCH_VERSION = "2.13.0"

SCRIPT = r"""
import json, sys, time
import numpy as np
import torch
from torch import nn

args = json.loads(sys.argv[1])
torch.set_num_threads(args["threads"])
torch.manual_seed(0)
X = torch.from_numpy(np.load(args["images"], allow_pickle=False)).reshape(-1, 1, 28, 28)
y = torch.from_numpy(np.load(args["labels"], allow_pickle=False)).long()

class Rows(nn.Module):
    # Hippo's sequence view: a digit as 28 steps (rows) of 28 features.
    def forward(self, x):
        return x.reshape(len(x), 28, 28)

class LastState(nn.Module):
    # nn.RNN / LSTM / GRU (batch_first) returning the last state, as Hippo's recurrent layers do.
    def __init__(self, kind, features, units, nonlinearity):
        super().__init__()
        if kind == "rnn":
            self.rnn = nn.RNN(features, units, nonlinearity=nonlinearity, batch_first=True)
        else:
            self.rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[kind](features, units, batch_first=True)
    def forward(self, x):
        return self.rnn(x)[0][:, -1]

def build(specs):
    layers, channels, side, flat = [], 1, 28, None
    for spec in specs:
        kind = spec["type"]
        if kind == "sequence":
            layers.append(Rows())
            flat = 28
        elif kind in ("rnn", "lstm", "gru"):
            layers.append(
                LastState(kind, flat, spec["units"], spec.get("nonlinearity", "tanh"))
            )
            flat = spec["units"]
        elif kind == "conv2d":
            kh, kw = spec["kernel"]
            pad = (kh - 1) // 2 if spec["padding"] == "same" else spec["padding"]
            layers.append(nn.Conv2d(channels, spec["filters"], (kh, kw), spec["stride"], pad))
            channels, side = spec["filters"], (side + 2 * pad - kh) // spec["stride"] + 1
        elif kind == "maxpool2d":
            layers.append(nn.MaxPool2d(spec["size"]))
            side //= spec["size"]
        elif kind == "flatten":
            layers.append(nn.Flatten())
            flat = channels * side * side
        elif kind == "dense":
            layers.append(nn.Linear(flat, spec["units"]))
            flat = spec["units"]
        elif kind == "dropout":
            layers.append(nn.Dropout(spec["rate"]))
        elif kind == "activation":
            functions = {"relu": nn.ReLU(), "tanh": nn.Tanh(), "sigmoid": nn.Sigmoid()}
            layers.append(functions[spec["function"]])
    return nn.Sequential(*layers)

model = build(args["layers"])
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
batch = args["batch"]
epochs, cpu = [], []
for _ in range(args["rounds"]):
    model.train()
    order = torch.randperm(len(X))
    start, start_cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(X), batch):
        index = order[i : i + batch]
        optimizer.zero_grad()
        loss = loss_fn(model(X[index]), y[index])
        loss.backward()
        optimizer.step()
    epochs.append(time.perf_counter() - start)
    cpu.append(time.process_time() - start_cpu)
model.eval()
with torch.no_grad():
    one = X[:1]
    for _ in range(20):
        model(one)
    singles = []
    for i in range(200):
        start = time.perf_counter()
        model(X[i : i + 1])
        singles.append(time.perf_counter() - start)
    thousands = []
    for _ in range(5):
        start = time.perf_counter()
        model(X[:1000])
        thousands.append(time.perf_counter() - start)
print(json.dumps({
    "epoch_seconds": min(epochs),
    "epoch_cpu_seconds": min(cpu),
    "one_ms": float(np.median(singles)) * 1000,
    "thousand_ms": min(thousands) * 1000,
    "torch": torch.__version__,
}))
"""


def torch_python() -> Path:
    """The virtualenv's python, creating the virtualenv with the pinned torch when missing.

    Raises:
        RuntimeError: No python3.11, or the install failed (the message says which).
    """
    python = VENV / "bin" / "python"
    if python.exists():
        check = subprocess.run(
            [str(python), "-c", "import torch; print(torch.__version__)"],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode == 0:
            return python
    base = shutil.which("python3.11")
    if base is None:
        raise RuntimeError("the PyTorch peer needs python3.11 on PATH to create its virtualenv")
    subprocess.run([base, "-m", "venv", str(VENV)], check=True)
    install = subprocess.run(
        [str(VENV / "bin" / "pip"), "install", "-q", f"torch=={TORCH_VERSION}", "numpy"],
        capture_output=True,
        text=True,
        check=False,
    )
    if install.returncode != 0:
        raise RuntimeError(f"installing torch=={TORCH_VERSION} failed: {install.stderr[-500:]}")
    return python


def run_torch(
    layers: list[dict[str, Any]],
    images: NDArray[np.float32],
    labels: NDArray[np.int64],
    *,
    batch: int,
    threads: int,
    rounds: int,
) -> dict[str, Any]:
    """Train ``layers`` in PyTorch for ``rounds`` epochs over ``images``; time them and inference.

    Returns:
        ``epoch_seconds`` (best epoch over the given images, wall time), ``epoch_cpu_seconds``
        (the same in CPU time, which a busy machine inflates less), ``one_ms`` (median forward
        pass of one image), ``thousand_ms`` (best forward pass of 1,000 images) and the torch
        version.
    """
    python = torch_python()
    with tempfile.TemporaryDirectory(prefix="hippo-bench-") as folder:
        images_path, labels_path = Path(folder) / "images.npy", Path(folder) / "labels.npy"
        np.save(images_path, images, allow_pickle=False)
        np.save(labels_path, labels, allow_pickle=False)
        arguments = {
            "layers": layers,
            "images": str(images_path),
            "labels": str(labels_path),
            "batch": batch,
            "threads": threads,
            "rounds": rounds,
        }
        result = subprocess.run(
            [str(python), "-c", SCRIPT, json.dumps(arguments)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "OMP_NUM_THREADS": str(threads)},
        )
    parsed: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed
