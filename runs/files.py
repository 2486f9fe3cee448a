"""Where a run's files live and how they go away with it."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from django.conf import settings

from runs.models import TrainingRun


def run_directory(run_id: int) -> Path:
    """The folder of a worker's run: its checkpoint and its model files."""
    return Path(settings.HIPPO_RUNS_DIR) / str(run_id)


def sha256_of(path: Path) -> str:
    """The file's SHA-256, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe_files(paths: list[Path]) -> list[dict[str, str]]:
    """``[{"path", "sha256"}]`` of files that exist (what ``TrainingRun.model_files`` holds)."""
    return [{"path": str(p), "sha256": sha256_of(p)} for p in paths if p.is_file()]


def remove_run_files(run: TrainingRun) -> list[Path]:
    """Delete the run's model files, its checkpoint and its folder; return what was removed.

    Only files the run recorded are removed (and the run's own folder), never a directory
    someone else's files share.
    """
    removed: list[Path] = []
    paths = [Path(entry["path"]) for entry in run.model_files if entry.get("path")]
    if run.checkpoint_path:
        paths.append(Path(run.checkpoint_path))
    for path in paths:
        if path.is_file():
            path.unlink()
            removed.append(path)
    folder = run_directory(run.pk)
    if folder.is_dir():
        shutil.rmtree(folder)
        removed.append(folder)
    return removed
