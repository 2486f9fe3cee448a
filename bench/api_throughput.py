"""The API under load: Hippo (gunicorn, the full Django stack) against the FastAPI peer, one run.

Run: `.venv/bin/python -m bench.api_throughput` (part of `make bench`; ~6 minutes, or ~3 with
`BENCH_QUICK=1`). Timed figures are only meaningful under the shared benchmark lock:
`flock /tmp/hippo-bench.lock .venv/bin/python -m bench.api_throughput`.

In one go, on loopback: a temporary data directory (SQLite database, local model store) gets a
seeded 784-100-10 network registered as the default; Hippo runs under gunicorn with
`hippo_site/gunicorn.conf.py` and the peer (`../shared/peers/seed_fastapi.py`, FastAPI + uvicorn
with httptools/uvloop, in its own virtualenv at `/tmp/peer`, created from PyPI when missing) runs
with the same worker count. `wrk` (one thread) measures:

1. `POST /predict` and `POST /activations` (one image, `../shared/peers/predict.lua`'s body) at
   1, 4, 16 and 64 connections on both servers, alternating who goes first, `BENCH_ROUNDS`
   rounds, each side's best round kept (the machine is shared: the best round is the one least
   disturbed);
2. every GET endpoint of Hippo at 16 connections;
3. batches of 1,000 images to `POST /predict` as JSON, `application/octet-stream` and
   `application/x-npy` (images/s);
4. single-image `POST /predict` at 4 connections while one client posts JSON batches of 1,000
   images without pause, against the same without the batch client (p99).

Besides requests/s, p50 and p99, the CPU time the server's processes spent per request is read from
/proc: on a busy machine it is the steadiest figure of what a request costs. The load average is
printed before and after. A table with the ratios and PASS/MISS against the targets follows. The
developer's data is never touched.

Environment: `BENCH_QUICK=1` (1 round of 4 s), `BENCH_SECONDS` (per run, default 5),
`BENCH_ROUNDS` (default 2), `BENCH_CONCURRENCY` (default `1,4,16,64`), `BENCH_WORKERS` (default 2),
and, passed to gunicorn (`hippo_site/gunicorn.conf.py`), `HIPPO_WORKER_CLASS`, `HIPPO_THREADS`
and `HIPPO_KEEPALIVE`, to measure other worker models.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.servers import cpu_seconds, free_port, running, wait_until_up
from bench.wrk import WrkResult, parse_wrk_output, post_script, run_wrk, wrk_command

ROOT = Path(__file__).resolve().parent.parent
PEERS = (ROOT.parent / "shared" / "peers").resolve()
PEER_VENV = Path(os.environ.get("BENCH_PEER_VENV", "/tmp/peer"))
LUA = PEERS / "predict.lua"
SIZES = (784, 100, 10)
BATCH = 1000

TARGET_RPS_RATIO = 1.0
TARGET_P99_RATIO = 1.5
TARGET_GET_RPS = 1000.0
TARGET_BINARY_IMAGES = 100_000.0
TARGET_JSON_IMAGES = 15_000.0
TARGET_LOADED_P99_RATIO = 3.0
PASSED_THROUGH = ("HIPPO_WORKER_CLASS", "HIPPO_THREADS", "HIPPO_KEEPALIVE", "HIPPO_MNIST_DIR")


@dataclass(frozen=True)
class Measure:
    """One wrk run and the server's CPU time per request during it."""

    wrk: WrkResult
    cpu_us: float


@dataclass(frozen=True)
class Pair:
    """Hippo and the peer on one endpoint at one concurrency."""

    path: str
    hippo: Measure
    peer: Measure

    @property
    def rps_ratio(self) -> float:
        return self.hippo.wrk.requests_per_second / max(self.peer.wrk.requests_per_second, 1e-9)

    @property
    def p99_ratio(self) -> float:
        return self.hippo.wrk.p99_ms / max(self.peer.wrk.p99_ms, 1e-9)


@dataclass(frozen=True)
class Server:
    """A server under test: where it answers and the process group whose CPU time counts."""

    base: str
    group: int


def measure(
    server: Server, path: str, script: Path | None, connections: int, seconds: float
) -> Measure:
    """Load `path` with wrk and read the CPU time the server spent meanwhile."""
    before = cpu_seconds(server.group)
    result = run_wrk(server.base + path, script, connections, seconds)
    spent = cpu_seconds(server.group) - before
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
        pip = [str(PEER_VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "fastapi", "uvicorn[standard]", "numpy"], check=True)
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
    for key in PASSED_THROUGH:
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


def batch_bodies() -> dict[str, tuple[bytes, str]]:
    """A batch of 1,000 images as JSON, as octet-stream and as `.npy`: body and content type."""
    import numpy as np

    pixels = np.random.default_rng(0).integers(0, 256, size=(BATCH, 784), dtype=np.uint8)
    as_floats = np.round(pixels / 255, 4).tolist()
    npy = io.BytesIO()
    np.save(npy, pixels, allow_pickle=False)
    return {
        "json": (json.dumps({"batch": as_floats}).encode(), "application/json"),
        "octet-stream": (pixels.tobytes(), "application/octet-stream"),
        "npy": (npy.getvalue(), "application/x-npy"),
    }


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


@dataclass
class Results:
    """Everything one run measured."""

    pairs: list[Pair]
    gets: dict[str, Measure]
    batches: dict[str, Measure]
    idle: Measure
    loaded: Measure
    batch_client: WrkResult
    load_before: str
    load_after: str = ""


def print_report(results: Results, settings: str) -> None:
    """The tables of figures, ratios and PASS/MISS against the targets (Markdown)."""
    print()
    print(f"settings: {settings}")
    print(f"load average before: {results.load_before}; after: {results.load_after}")
    print()
    print(
        "| endpoint | conn | Hippo req/s | p50 ms | p99 ms | CPU µs/req | peer req/s | p50 ms | "
        "p99 ms | CPU µs/req | req/s ratio | p99 ratio |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for pair in results.pairs:
        h, p = pair.hippo.wrk, pair.peer.wrk
        judged = h.connections >= 4
        rps = f"{pair.rps_ratio:.2f}×" + (
            f" {_verdict(pair.rps_ratio >= TARGET_RPS_RATIO)}" if judged else ""
        )
        p99 = f"{pair.p99_ratio:.2f}×" + (
            f" {_verdict(pair.p99_ratio <= TARGET_P99_RATIO)}" if judged else ""
        )
        errors = f" (errors: Hippo {h.errors}, peer {p.errors})" if h.errors or p.errors else ""
        print(
            f"| {pair.path} | {h.connections} | {h.requests_per_second:,.0f} | {h.p50_ms:.2f} | "
            f"{h.p99_ms:.2f} | {pair.hippo.cpu_us:.0f} | {p.requests_per_second:,.0f} | "
            f"{p.p50_ms:.2f} | {p.p99_ms:.2f} | {pair.peer.cpu_us:.0f} | {rps} | {p99}{errors} |"
        )
    print()
    print("| GET (16 connections) | req/s | p50 ms | p99 ms | CPU µs/req | target |")
    print("|---|--:|--:|--:|--:|---|")
    for path, m in results.gets.items():
        errors = f" (errors: {m.wrk.errors})" if m.wrk.errors else ""
        print(
            f"| {path} | {m.wrk.requests_per_second:,.0f} | {m.wrk.p50_ms:.2f} | "
            f"{m.wrk.p99_ms:.2f} | {m.cpu_us:.0f} | ≥ {TARGET_GET_RPS:,.0f} "
            f"{_verdict(m.wrk.requests_per_second >= TARGET_GET_RPS)}{errors} |"
        )
    print()
    print("| batch of 1,000 (2 connections) | images/s | p99 ms | CPU µs/image | target |")
    print("|---|--:|--:|--:|---|")
    for kind, m in results.batches.items():
        images = m.wrk.requests_per_second * BATCH
        target = TARGET_JSON_IMAGES if kind == "json" else TARGET_BINARY_IMAGES
        errors = f" (errors: {m.wrk.errors})" if m.wrk.errors else ""
        print(
            f"| {kind} | {images:,.0f} | {m.wrk.p99_ms:.1f} | {m.cpu_us / BATCH:.1f} | "
            f"≥ {target:,.0f} {_verdict(images >= target)}{errors} |"
        )
    print()
    ratio = results.loaded.wrk.p99_ms / max(results.idle.wrk.p99_ms, 1e-9)
    print("| single image, 4 connections | req/s | p50 ms | p99 ms |")
    print("|---|--:|--:|--:|")
    for label, m in (("idle", results.idle), ("with a JSON batch client", results.loaded)):
        print(
            f"| {label} | {m.wrk.requests_per_second:,.0f} | {m.wrk.p50_ms:.2f} | "
            f"{m.wrk.p99_ms:.2f} |"
        )
    print(
        f"\np99 under batch load / idle: {ratio:.2f}× (target ≤ {TARGET_LOADED_P99_RATIO:.0f}×) "
        f"{_verdict(ratio <= TARGET_LOADED_P99_RATIO)}; the batch client meanwhile: "
        f"{results.batch_client.requests_per_second * BATCH:,.0f} images/s"
    )


def single_image_pairs(
    hippo: Server, peer: Server, concurrencies: list[int], rounds: int, seconds: float
) -> list[Pair]:
    """`POST /predict` and `POST /activations` on both servers, best of `rounds`."""
    pairs = []
    for path in ("/predict", "/activations"):
        runs: dict[int, tuple[list[Measure], list[Measure]]] = {c: ([], []) for c in concurrencies}
        for round_index in range(rounds):
            for index, connections in enumerate(concurrencies):
                hippo_runs, peer_runs = runs[connections]
                # Alternate who goes first, so neither side always meets a warmer (or busier) CPU.
                order: list[tuple[Server, list[Measure]]] = [
                    (hippo, hippo_runs),
                    (peer, peer_runs),
                ]
                if (index + round_index) % 2 == 0:
                    order.reverse()
                for server, into in order:
                    into.append(measure(server, path, LUA, connections, seconds))
                h, p = hippo_runs[-1], peer_runs[-1]
                print(
                    f"round {round_index + 1} {path} c={connections:<3} "
                    f"hippo {h.wrk.requests_per_second:6.0f} req/s p99 {h.wrk.p99_ms:6.2f} ms "
                    f"cpu {h.cpu_us:4.0f} us | peer {p.wrk.requests_per_second:6.0f} req/s "
                    f"p99 {p.wrk.p99_ms:6.2f} ms cpu {p.cpu_us:4.0f} us",
                    flush=True,
                )
        pairs += [Pair(path, best(runs[c][0]), best(runs[c][1])) for c in concurrencies]
    return pairs


def under_batch_load(
    hippo: Server, batch_script: Path, seconds: float
) -> tuple[Measure, Measure, WrkResult]:
    """Single-image p99 at 4 connections, idle and while one client posts 1,000-image batches."""
    idle = measure(hippo, "/predict", LUA, 4, seconds)
    batch_client = subprocess.Popen(
        wrk_command(hippo.base + "/predict", batch_script, 1, seconds + 2),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        run_wrk(hippo.base + "/predict", LUA, 4, 1)  # the batch client is under way
        loaded = measure(hippo, "/predict", LUA, 4, seconds)
        out, _ = batch_client.communicate(timeout=seconds + 60)
    finally:
        if batch_client.poll() is None:
            batch_client.kill()
            batch_client.wait()
    return idle, loaded, parse_wrk_output(out, 1)


def run(
    hippo: Server,
    peer: Server,
    model: str,
    folder: Path,
    say: Callable[[str], None],
) -> Results:
    """Every measurement, in the order of the module docstring."""
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    seconds = float(os.environ.get("BENCH_SECONDS", "4" if quick else "5"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "1" if quick else "2"))
    concurrencies = [int(c) for c in os.environ.get("BENCH_CONCURRENCY", "1,4,16,64").split(",")]
    load_before = loadavg()
    say(f"load average before: {load_before}")
    pairs = single_image_pairs(hippo, peer, concurrencies, rounds, seconds)
    gets = {}
    for path in (
        "/healthz",
        "/readyz",
        "/models",
        f"/models/{model}",
        f"/models/{model}/weights?layer=0&neuron=3",
        f"/models/{model}/weights?layer=1",
        "/mnist/samples?count=10",
    ):
        gets[path] = best([measure(hippo, path, None, 16, seconds) for _ in range(rounds)])
        say(f"GET {path}: {gets[path].wrk.requests_per_second:.0f} req/s")
    scripts = {
        kind: post_script(folder, kind, body, content_type)
        for kind, (body, content_type) in batch_bodies().items()
    }
    batches = {}
    for kind, script in scripts.items():
        batches[kind] = best(
            [measure(hippo, "/predict", script, 2, seconds) for _ in range(rounds)]
        )
        say(f"batch {kind}: {batches[kind].wrk.requests_per_second * BATCH:.0f} images/s")
    idle, loaded, batch_client = under_batch_load(hippo, scripts["json"], seconds)
    return Results(pairs, gets, batches, idle, loaded, batch_client, load_before, loadavg())


def main() -> int:
    """Run the whole benchmark and print the report."""
    workers = os.environ.get("BENCH_WORKERS", "2")
    uvicorn = ensure_peer_venv()
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
        peer_command = [
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
        with (
            running(gunicorn, cwd=ROOT, env=hippo_env, log=data_dir / "gunicorn.log") as hippo_p,
            running(peer_command, cwd=PEERS, env=peer_env, log=data_dir / "peer.log") as peer_p,
        ):
            hippo = Server(f"http://127.0.0.1:{hippo_port}", hippo_p.pid)
            peer = Server(f"http://127.0.0.1:{peer_port}", peer_p.pid)
            try:
                wait_until_up(hippo.base + "/predict", hippo_p, body=sample)
                wait_until_up(peer.base + "/predict", peer_p, body=sample)
            except RuntimeError:
                for log in ("gunicorn.log", "peer.log"):
                    print(f"--- {log}:\n" + (data_dir / log).read_text()[-3000:], file=sys.stderr)
                raise
            # Warm-up: every worker of both servers answers before anything is measured.
            for server in (hippo, peer):
                for path in ("/predict", "/activations"):
                    run_wrk(server.base + path, LUA, 8, 2)
            results = run(hippo, peer, model, data_dir, lambda text: print(text, flush=True))
        settings = ", ".join(
            f"{key}={hippo_env[key]}"
            for key in (*PASSED_THROUGH, "WEB_CONCURRENCY")
            if key in hippo_env
        )
        print_report(results, settings or "as shipped")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--register"]:
        print(register_model())
        raise SystemExit(0)
    raise SystemExit(main())
