"""What a training run prints: its one-line description, progress per epoch, the final report."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import OutputWrapper
from tqdm import tqdm

from nn_core.network import EpochReport
from training.config import TrainingConfig
from training.metrics import format_confusion_matrix
from training.run import TrainingResult


class EpochProgress:
    """A tqdm bar inside each epoch (on a terminal only) and one log line per finished epoch.

    In a log (``make run``'s first-run training, CI, a pipe) a bar would be thousands of
    redraws; there only the epoch lines are written.
    """

    def __init__(
        self,
        out: OutputWrapper,
        epochs: int,
        *,
        verbosity: int = 1,
        interactive: bool | None = None,
    ) -> None:
        """Report to ``out``; ``verbosity`` 0 prints nothing, 1 the lines and the bar.

        ``interactive`` (default: whether stderr is a terminal) decides whether bars are drawn.
        """
        self.out = out
        self.epochs = epochs
        self.verbosity = verbosity
        self.interactive = sys.stderr.isatty() if interactive is None else interactive
        self.bar: tqdm[Any] | None = None
        self.epoch = 1

    def on_batch(self, done: int, total: int) -> None:
        """Advance the bar; a new bar starts with each epoch."""
        if self.verbosity == 0 or not self.interactive:
            return
        if self.bar is None:
            self.bar = tqdm(
                total=total,
                desc=f"epoch {self.epoch}/{self.epochs}",
                unit="batch",
                leave=False,
                file=sys.stderr,
                dynamic_ncols=True,
            )
        self.bar.update(done - self.bar.n)

    def on_epoch(self, report: EpochReport, is_best: bool) -> None:
        """Close the bar and print the epoch's line."""
        self.close()
        self.epoch = report.epoch + 1
        if self.verbosity == 0:
            return
        accuracy = (
            "-" if report.validation_accuracy is None else f"{report.validation_accuracy:6.2f} %"
        )
        self.out.write(
            f"epoch {report.epoch:>3}/{self.epochs}  loss {report.train_loss:.4f}  "
            f"validation {accuracy}  lr {report.learning_rate:.3g}  {report.seconds:5.2f} s"
            + _clipping(report)
            + ("  *best" if is_best else "")
        )

    def close(self) -> None:
        """Remove the bar (also after Ctrl-C, so the terminal is left clean)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _clipping(report: EpochReport) -> str:
    """With clipping: the mean gradient norm before it and how many batches were clipped."""
    if report.gradient_norm is None or report.clipped_fraction is None:
        return ""
    return f"  |grad| {report.gradient_norm:.3g} (clipped {100 * report.clipped_fraction:.0f} %)"


def describe(config: TrainingConfig) -> str:
    """One line naming the network and its hyperparameters."""
    return (
        f"training {config.architecture} "
        + (f"{config.activation}/" if config.uses_activation else "")
        + config.output
        + (", augmented" if config.augment else "")
        + ", "
        + f"{config.cost}, {config.optimizer} lr {config.learning_rate:g} batch "
        f"{config.mini_batch_size}, {config.epochs} epochs, schedule {config.schedule}, "
        f"l2 {config.l2:g}, seed {config.seed if config.seed is not None else 'random'}"
        + (f", gradients clipped to norm {config.clip_norm:g}" if config.clip_norm else "")
        + (f", first {config.limit_train} training images" if config.limit_train else "")
    )


def report(result: TrainingResult) -> str:
    """The end-of-run summary: accuracies, timing, per-class accuracy and the confusion matrix."""
    validation = (
        "-"
        if result.best_validation_accuracy is None
        else f"{result.best_validation_accuracy:.2f} %"
    )
    return "\n".join(
        [
            f"best epoch {result.best_epoch} of {result.epochs_completed} "
            f"(validation {validation}); training took {result.train_seconds:.1f} s; "
            f"seed {result.config.seed}",
            f"test accuracy {result.test_accuracy:.2f} %  (test loss {result.test_loss:.4f}, "
            f"train accuracy {result.train_accuracy:.2f} %)",
            "per-class accuracy: "
            + "  ".join(f"{d}: {a:.1f}" for d, a in enumerate(result.per_class_accuracy)),
            "confusion matrix (test set; rows: true digit, columns: predicted digit):",
            format_confusion_matrix(result.confusion_matrix),
        ]
    )


__all__ = ["EpochProgress", "describe", "report"]
