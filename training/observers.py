"""Watching a training run from outside ``training``: the observer protocol and its registry.

``train_mnist`` lives in ``training``, and ``training`` may not import the apps above it (the
layering of docs/ARCHITECTURE.md). An app that records runs (``runs``) registers a factory here
when Django starts (its ``AppConfig.ready``); the command asks :func:`observer_for` for an observer
and hands it the run's callbacks, knowing nothing of where they go.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from nn_core.network import EpochReport
from training.artifacts import ModelFiles
from training.config import TrainingConfig
from training.run import Progress, TrainingResult


class RunObserver(Protocol):
    """Receives one run's progress and its end; may stop it (raise ``StopTraining``)."""

    @property
    def where(self) -> str:
        """One line saying where the run can be watched (printed by the command)."""
        ...

    def on_progress(self, progress: Progress) -> None:
        """A progress beat (at most every ``training.run.BEAT_SECONDS``)."""
        ...

    def on_epoch(self, report: EpochReport, is_best: bool) -> None:
        """An epoch ended."""
        ...

    def finished(self, result: TrainingResult, files: ModelFiles | None) -> None:
        """The run ended with a result (``result.interrupted``: stopped early) and its files."""
        ...

    def failed(self, error: BaseException) -> None:
        """The run ended without a result (diverged, stopped before an epoch, a bug)."""
        ...


ObserverFactory = Callable[[TrainingConfig, str], RunObserver | None]
"""Makes the observer of a run started from ``source`` (``"cli"``) with a configuration; None
when it cannot record (no database, say): the run goes on unrecorded."""

_factories: list[ObserverFactory] = []


def register_observer_factory(factory: ObserverFactory) -> None:
    """Let ``factory`` observe the runs ``train_mnist`` starts (registering twice is once)."""
    if factory not in _factories:
        _factories.append(factory)


def observer_for(config: TrainingConfig, source: str) -> RunObserver | None:
    """The observer of a new run, or None when no app records runs (or it cannot)."""
    return _factories[-1](config, source) if _factories else None


__all__ = ["ObserverFactory", "RunObserver", "observer_for", "register_observer_factory"]
