"""What recording a run costs: the starter recipe trained with recording on and off.

Run: `HIPPO_MNIST_DIR=../shared/mnist .venv/bin/python -m bench.run_recording` (about a minute).
The target (issue 16) is at most 2 % of training time. Recording is `runs.recording.RunRecorder`
on a throw-away SQLite database: metric rows per epoch and per progress beat, lease renewals,
the cancel check at every beat. Each variant is trained `BENCH_REPEATS` times (default 2),
alternating, and the fastest of each is compared (the least disturbed by other processes).

Environment: `BENCH_EPOCHS` (epochs of the starter recipe per run; default 3).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    """Train with and without recording; print the times and the ratio."""
    data = Path(tempfile.mkdtemp(prefix="hippo-bench-runs-"))
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret-" + "k" * 40)
    os.environ["HIPPO_DATA_DIR"] = str(data)
    os.environ["DATABASE_URL"] = f"sqlite:///{data / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hippo_site.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)

    from mnist_samples.services import get_splits
    from runs.models import RunMetric
    from runs.recording import start_cli_run
    from training.config import FAST_RECIPE
    from training.run import run_training

    epochs = int(os.environ.get("BENCH_EPOCHS", "3"))
    repeats = int(os.environ.get("BENCH_REPEATS", "2"))
    config = dataclasses.replace(FAST_RECIPE, epochs=epochs, seed=0)
    splits = get_splits()
    times: dict[str, list[float]] = {"off": [], "on": []}
    for _ in range(repeats):
        for variant in ("off", "on"):
            started = time.perf_counter()
            if variant == "off":
                run_training(config, splits)
            else:
                recorder = start_cli_run(config, "cli")
                result = run_training(
                    config, splits, on_progress=recorder.on_progress, on_epoch=recorder.on_epoch
                )
                recorder.finished(result, None)
            times[variant].append(time.perf_counter() - started)
            print(f"recording {variant:>3}: {times[variant][-1]:6.2f} s", flush=True)
    off, on = min(times["off"]), min(times["on"])
    rows = RunMetric.objects.count() // repeats
    print(
        f"starter recipe, {epochs} epochs: {off:.2f} s without recording, {on:.2f} s with "
        f"({rows} metric rows per run): ratio {on / off:.4f} ({(on / off - 1) * 100:+.2f} %)"
    )
    sys.exit(0)


if __name__ == "__main__":
    main()
