"""`POST /predict` under load: Hippo (gunicorn) against the FastAPI peer, side by side.

Run: `.venv/bin/python -m bench.api_throughput` (part of `make bench`; about 2-3 minutes).

In one go, on loopback: a temporary data directory (SQLite database, local model store) gets a
seeded 784-100-10 network registered as the default; Hippo runs under gunicorn with
`hippo_site/gunicorn.conf.py` and the peer (`../shared/peers/seed_fastapi.py`, FastAPI + uvicorn
with httptools/uvloop, in its own virtualenv at `/tmp/peer`, created from PyPI when missing) runs
with the same worker count. `wrk` (one thread) drives both with `../shared/peers/predict.lua` at
concurrency 1, 4, 16 and 64, alternating who goes first, for `BENCH_ROUNDS` rounds; each side's
best round is kept (the machine is shared: the best round is the one least disturbed). Besides
requests/s, p50 and p99, the CPU time both servers' processes spent per request is read from
/proc: on a busy machine it is the steadiest figure of what a request costs. The in-process
forward pass is timed with `timeit`. A table with the ratios and PASS/MISS against the targets is
printed. The developer's data is never touched.

Environment: `BENCH_SECONDS` (per run, default 8), `BENCH_ROUNDS` (default 2),
`BENCH_CONCURRENCY` (default `1,4,16,64`), `BENCH_WORKERS` (default 2), and, passed to gunicorn
(`hippo_site/gunicorn.conf.py`), `HIPPO_WORKER_CLASS` (`asgi`, the default, or `gthread` to
measure the WSGI setup), `HIPPO_THREADS`, `HIPPO_ASGI_LOOP` (`uvloop` or `asyncio`) and
`HIPPO_REUSE_PORT`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import timeit
from dataclasses import dataclass
from pathlib import Path

from bench.servers import cpu_seconds, free_port, running, wait_until_up
from bench.wrk import WrkResult, run_wrk

ROOT = Path(__file__).resolve().parent.parent
PEERS = (ROOT.parent / "shared" / "peers").resolve()
PEER_VENV = Path(os.environ.get("BENCH_PEER_VENV", "/tmp/peer"))
LUA = PEERS / "predict.lua"
SIZES = (784, 100, 10)

TARGET_RPS_RATIO = 1.0
TARGET_P99_RATIO = 1.5
TARGET_ONE_US = 50.0
TARGET_BATCH_MS = 5.0


@dataclass(frozen=True)
class Measure:
    """One wrk run and the server's CPU time per request during it."""

    wrk: WrkResult
    cpu_us: float


@dataclass(frozen=True)
class Pair:
    """Hippo and the peer at one concurrency."""

    hippo: Measure
    peer: Measure

    @property
    def rps_ratio(self) -> float:
        return self.hippo.wrk.requests_per_second / max(self.peer.wrk.requests_per_second, 1e-9)

    @property
    def p99_ratio(self) -> float:
        return self.hippo.wrk.p99_ms / max(self.peer.wrk.p99_ms, 1e-9)


def measure(url: str, group: int, connections: int, seconds: float) -> Measure:
    """Load `url` with wrk and read the CPU time the server (process group) spent meanwhile."""
    before = cpu_seconds(group)
    result = run_wrk(url, LUA, connections, seconds)
    spent = cpu_seconds(group) - before
    return Measure(result, spent / max(result.requests, 1) * 1e6)


def best(measures: list[Measure]) -> Measure:
    """The round with the most requests/s."""
    return max(measures, key=lambda m: m.wrk.requests_per_second)


def ensure_peer_venv() -> Path:
    """The peer's virtualenv (FastAPI, uvicorn[standard], NumPy), created when missing.

    It is built from the interpreter running this script (Python >= 3.12: the project's own)
    and installed from PyPI with pip; the project's virtualenv is never touched.
    """
    uvicorn = PEER_VENV / "bin" / "uvicorn"
    if not uvicorn.exists():
        print(f"creating the peer's virtualenv in {PEER_VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(PEER_VENV)], check=True)
        subprocess.run(
            [
                str(PEER_VENV / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "-q",
                "fastapi",
                "uvicorn[standard]",
                "numpy",
            ],
            check=True,
        )
    return uvicorn


def hippo_environment(data_dir: Path) -> dict[str, str]:
    """Environment of the project's processes: everything in the temporary data directory."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HF_", "HIPPO_", "DJANGO_", "DATABASE_"))
    }
    env.update(
        {
            "HIPPO_DATA_DIR": str(data_dir),
            "HIPPO_LOCAL_HUB": str(data_dir / "local_hub"),
            "HIPPO_MODELS_DIR": str(data_dir / "models"),
            "DJANGO_SECRET_KEY": "bench-only-not-secret",
            "DJANGO_DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    for key in ("HIPPO_WORKER_CLASS", "HIPPO_THREADS", "HIPPO_ASGI_LOOP", "HIPPO_REUSE_PORT"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def prepare_project(env: dict[str, str]) -> str:
    """Migrate the temporary database and register a seeded 784-100-10 network as the default."""
    python = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run(
        [python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    done = subprocess.run(
        [python, "-m", "bench.api_throughput", "--register"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


def register_model() -> str:
    """Inside the temporary project: save, push (local store) and make default a 784-100-10 net."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hippo_site.settings")
    django.setup()
    from django.conf import settings

    from nn_core.model_files import ModelMetadata, save_model
    from nn_core.network import NeuralNetwork
    from registry.services import make_default, push_model
    from registry.stores import LocalStore

    network = NeuralNetwork(list(SIZES), activation="relu", seed=0)
    name = "bench-" + "-".join(map(str, SIZES))
    weights = Path(settings.HIPPO_MODELS_DIR) / f"{name}.safetensors"
    weights.parent.mkdir(parents=True, exist_ok=True)
    metadata = ModelMetadata(
        name=name,
        sizes=list(SIZES),
        activation="relu",
        output="softmax",
        cost="cross_entropy",
        dtype="float32",
    )
    save_model(network, weights, metadata)
    Path(settings.HIPPO_LOCAL_HUB).mkdir(parents=True, exist_ok=True)
    entry = push_model(weights, store=LocalStore(Path(settings.HIPPO_LOCAL_HUB)))
    make_default(entry)
    return entry.name


def forward_pass_timings() -> tuple[float, float]:
    """In-process forward pass: microseconds for one sample, milliseconds for a batch of 1,000."""
    import numpy as np

    from nn_core.network import NeuralNetwork

    network = NeuralNetwork(list(SIZES), seed=0)
    rng = np.random.default_rng(0)
    one = rng.random((1, 784), dtype=np.float32)
    batch = rng.random((1000, 784), dtype=np.float32)
    timer_one = timeit.Timer(lambda: network.predict(one))
    timer_batch = timeit.Timer(lambda: network.predict(batch))
    one_us = min(timer_one.repeat(repeat=5, number=2000)) / 2000 * 1e6
    batch_ms = min(timer_batch.repeat(repeat=5, number=20)) / 20 * 1e3
    return one_us, batch_ms


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_report(pairs: list[Pair], one_us: float, batch_ms: float, load: str) -> None:
    """The table of figures, ratios and PASS/MISS against the targets."""
    print()
    print(f"load average before the run: {load}")
    header = (
        f"{'conc':>4} | {'hippo req/s':>11} {'p50 ms':>7} {'p99 ms':>7} {'cpu us':>6} | "
        f"{'peer req/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'cpu us':>6} | "
        f"{'rps ratio':>9} {'p99 ratio':>9} | verdict"
    )
    print(header)
    print("-" * len(header))
    for pair in pairs:
        h, p = pair.hippo.wrk, pair.peer.wrk
        rps_ok = pair.rps_ratio >= TARGET_RPS_RATIO
        p99_ok = pair.p99_ratio <= TARGET_P99_RATIO
        errors = f"  (errors: hippo {h.errors}, peer {p.errors})" if h.errors or p.errors else ""
        print(
            f"{h.connections:>4} | {h.requests_per_second:>11.0f} {h.p50_ms:>7.2f} "
            f"{h.p99_ms:>7.2f} {pair.hippo.cpu_us:>6.0f} | "
            f"{p.requests_per_second:>10.0f} {p.p50_ms:>7.2f} {p.p99_ms:>7.2f} "
            f"{pair.peer.cpu_us:>6.0f} | "
            f"{pair.rps_ratio:>8.2f}x {pair.p99_ratio:>8.2f}x | "
            f"rps {_verdict(rps_ok)}, p99 {_verdict(p99_ok)}{errors}"
        )
    print()
    print(
        f"targets: throughput >= {TARGET_RPS_RATIO:.1f}x the peer's, "
        f"p99 <= {TARGET_P99_RATIO:.1f}x the peer's; cpu us = server CPU time per request"
    )
    print(
        f"forward pass, one sample:   {one_us:7.1f} us  (target <= {TARGET_ONE_US:.0f} us)  "
        f"{_verdict(one_us <= TARGET_ONE_US)}"
    )
    print(
        f"forward pass, batch 1,000:  {batch_ms:7.2f} ms  (target <= {TARGET_BATCH_MS:.0f} ms)  "
        f"{_verdict(batch_ms <= TARGET_BATCH_MS)}"
    )


def main() -> int:
    """Run the whole benchmark and print the report."""
    seconds = float(os.environ.get("BENCH_SECONDS", "8"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "2"))
    concurrencies = [int(c) for c in os.environ.get("BENCH_CONCURRENCY", "1,4,16,64").split(",")]
    workers = os.environ.get("BENCH_WORKERS", "2")
    load = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    print(f"uptime: {load}", flush=True)
    uvicorn = ensure_peer_venv()

    one_us, batch_ms = forward_pass_timings()
    print(f"forward pass: one sample {one_us:.1f} us, batch of 1,000 {batch_ms:.2f} ms", flush=True)

    with tempfile.TemporaryDirectory(prefix="hippo-bench-") as tmp:
        data_dir = Path(tmp)
        env = hippo_environment(data_dir)
        model = prepare_project(env)
        print(f"registered {model} in {data_dir}", flush=True)
        hippo_port, peer_port = free_port(), free_port()
        hippo_env = {**env, "WEB_CONCURRENCY": workers, "HIPPO_BIND": f"127.0.0.1:{hippo_port}"}
        gunicorn = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-c",
            str(ROOT / "hippo_site" / "gunicorn.conf.py"),
        ]
        peer = [
            str(uvicorn),
            "seed_fastapi:app",
            "--port",
            str(peer_port),
            "--workers",
            workers,
            "--log-level",
            "warning",
        ]
        peer_env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
        sample = ('{"pixels": [' + ",".join(["0.5"] * 784) + "]}").encode()
        hippo_url = f"http://127.0.0.1:{hippo_port}/predict"
        peer_url = f"http://127.0.0.1:{peer_port}/predict"
        with (
            running(
                gunicorn, cwd=ROOT, env=hippo_env, log=data_dir / "gunicorn.log"
            ) as hippo_process,
            running(peer, cwd=PEERS, env=peer_env, log=data_dir / "peer.log") as peer_process,
        ):
            try:
                wait_until_up(hippo_url, hippo_process, body=sample)
                wait_until_up(peer_url, peer_process, body=sample)
            except RuntimeError:
                for log in ("gunicorn.log", "peer.log"):
                    print(f"--- {log}:\n" + (data_dir / log).read_text()[-3000:], file=sys.stderr)
                raise
            # Warm-up: every worker of both servers answers before anything is measured.
            run_wrk(hippo_url, LUA, 8, 2)
            run_wrk(peer_url, LUA, 8, 2)
            hippo_group, peer_group = hippo_process.pid, peer_process.pid
            runs: dict[int, tuple[list[Measure], list[Measure]]] = {
                c: ([], []) for c in concurrencies
            }
            for round_index in range(rounds):
                for index, connections in enumerate(concurrencies):
                    hippo_runs, peer_runs = runs[connections]
                    # Alternate who goes first, so neither side always meets a warmer (or
                    # busier) CPU.
                    if (index + round_index) % 2 == 0:
                        peer_runs.append(measure(peer_url, peer_group, connections, seconds))
                        hippo_runs.append(measure(hippo_url, hippo_group, connections, seconds))
                    else:
                        hippo_runs.append(measure(hippo_url, hippo_group, connections, seconds))
                        peer_runs.append(measure(peer_url, peer_group, connections, seconds))
                    h, p = hippo_runs[-1], peer_runs[-1]
                    print(
                        f"round {round_index + 1} c={connections:<3} "
                        f"hippo {h.wrk.requests_per_second:6.0f} req/s p99 {h.wrk.p99_ms:6.2f} ms "
                        f"cpu {h.cpu_us:4.0f} us | peer {p.wrk.requests_per_second:6.0f} req/s "
                        f"p99 {p.wrk.p99_ms:6.2f} ms cpu {p.cpu_us:4.0f} us",
                        flush=True,
                    )
            pairs = [Pair(best(runs[c][0]), best(runs[c][1])) for c in concurrencies]
    print_report(pairs, one_us, batch_ms, load)
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--register"]:
        print(register_model())
        raise SystemExit(0)
    raise SystemExit(main())
