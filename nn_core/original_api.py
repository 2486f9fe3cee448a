"""The original Hippo's API on every network: ``feedforward``, ``evaluate`` and ``train``.

The original Hippo was Michael Nielsen's ``network.py``: ``feedforward(a)`` on a column,
``evaluate(test_data)`` counting the digits it gets right, and ``SGD(training_data, epochs,
mini_batch_size, eta, test_data)`` printing "Epoch 1: 9123 / 10000" — here ``train``, with the
same positional arguments. These methods keep those calls working on
:class:`~nn_core.sequential.Sequential` (a mixin), on top of the network's own API: ``train``
builds the one hyperparameter object (:class:`~nn_core.hyperparameters.Hyperparameters`) from
its arguments and hands it to ``fit``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nn_core.arrays import Array
from nn_core.datasets import Dataset
from nn_core.hyperparameters import Hyperparameters
from nn_core.inspection import Prediction
from nn_core.training_loop import Augment, EpochReport


class _Network(Protocol):
    """What these methods use of the network they are mixed into."""

    dtype: np.dtype[Any]

    @property
    def n_inputs(self) -> int: ...

    def predict(self, X: ArrayLike) -> Prediction: ...

    def fit(
        self,
        training_data: Dataset,
        hyperparameters: Hyperparameters,
        *,
        validation_data: Dataset | None = None,
        augment: Augment | None = None,
        on_batch: Callable[[int, int], None] | None = None,
        on_epoch: Callable[[EpochReport], bool | None] | None = None,
    ) -> list[EpochReport]: ...

    def _output(self, X: Array) -> Array: ...

    def _rows(self, X: ArrayLike, what: str = "X") -> Array: ...

    def _labelled(self, data: Dataset, what: str) -> tuple[Array, NDArray[np.int64]]: ...


class OriginalHippoApi:
    """``feedforward``, ``evaluate`` and ``train`` as the original Hippo called them."""

    def feedforward(self: _Network, a: ArrayLike) -> Array:
        """Return the network's output for ``a`` (the original Hippo's method, extended to batches).

        Args:
            a: One sample as a column (784, 1) — the original Hippo's form, answered with a column
                (10, 1) — or as a vector (784,) → (10,), or a batch of rows (n, 784) → (n, 10).
        """
        x = np.asarray(a, dtype=self.dtype)
        n_in = self.n_inputs
        if x.ndim == 2 and x.shape == (n_in, 1):
            column: Array = np.ascontiguousarray(self._output(x.T).T)
            return column
        out = self._output(self._rows(x, "a"))
        return out[0] if x.ndim == 1 else out

    def evaluate(self: _Network, test_data: Dataset) -> int:
        """How many samples of ``test_data`` the network gets right (the original Hippo's API)."""
        X, labels = self._labelled(test_data, "test_data")
        return int(np.count_nonzero(self.predict(X).digits == labels))

    def train(
        self: _Network,
        training_data: Dataset,
        epochs: int,
        mini_batch_size: int,
        learning_rate: float,
        test_data: Dataset | None = None,
        *,
        validation_data: Dataset | None = None,
        optimizer: str = "sgd",
        momentum: float = 0.9,
        beta1: float = 0.9,
        beta2: float = 0.999,
        l2: float = 0.0,
        schedule: str | None = None,
        augment: Augment | None = None,
        on_batch: Callable[[int, int], None] | None = None,
        on_epoch: Callable[[EpochReport], bool | None] | None = None,
        verbose: bool = True,
    ) -> list[EpochReport]:
        """Train with mini-batch gradient descent (the original Hippo's ``SGD``, as it was called).

        Each epoch shuffles the training data (one permutation, drawn from the network's
        seeded generator), cuts it into mini-batches of ``mini_batch_size`` (the last one may be
        smaller) and takes one optimizer step per batch on the gradient of the batch's mean cost.

        Args:
            training_data: ``(X, y)`` arrays (X (n, 784); y labels (n,) or one-hot (n, 10)),
                an object with ``images`` and ``labels``, or the original Hippo's list of ``(x, y)``
                column pairs.
            epochs: Passes over the training data.
            mini_batch_size: Samples per gradient step.
            learning_rate: η (the base rate when a schedule is used); see
                :mod:`nn_core.network` for the convention.
            test_data: Evaluated after each epoch (as in the original Hippo) when no validation
                data is given; with ``verbose`` and no ``on_epoch``, its score is printed.
            validation_data: Evaluated after each epoch for the report's accuracy and loss.
            optimizer: "sgd", "momentum" or "adam".
            momentum: μ for "momentum".
            beta1: β₁ for "adam".
            beta2: β₂ for "adam".
            l2: The L2 weight-decay coefficient λ (cost + (λ/2)Σw²).
            schedule: None / "constant", "step" or "cosine" (per epoch).
            augment: Applied to every mini-batch's inputs before its gradient step (see
                :mod:`nn_core.augmentation`); draws from the network's generator.
            on_batch: Called after every mini-batch with (batches done, batches in the epoch).
            on_epoch: Called after every epoch with its :class:`EpochReport`; returning False
                stops training.
            verbose: Print the original Hippo's "Epoch 1: 9123 / 10000" lines (only without
                ``on_epoch``).

        Returns:
            One :class:`EpochReport` per completed epoch.

        Raises:
            TrainingDiverged: The loss became NaN or infinite, or the network died. The
                parameters are first restored to their values at the start of that epoch.
            ValueError: An argument is out of range or the data are malformed.
        """
        options = Hyperparameters(
            epochs=epochs,
            mini_batch_size=mini_batch_size,
            learning_rate=learning_rate,
            optimizer=optimizer,
            momentum=momentum,
            beta1=beta1,
            beta2=beta2,
            l2=l2,
            schedule="constant" if schedule is None else schedule,
        )
        options.validate_training()
        printed_set = (
            self._labelled(test_data, "test_data")
            if test_data is not None and verbose and on_epoch is None
            else None
        )

        def print_line(report: EpochReport) -> None:
            print(epoch_line(self, report.epoch, printed_set))

        return self.fit(
            training_data,
            options,
            validation_data=validation_data if validation_data is not None else test_data,
            augment=augment,
            on_batch=on_batch,
            on_epoch=on_epoch if on_epoch is not None or not verbose else print_line,
        )


def epoch_line(
    network: _Network, epoch: int, test_set: tuple[Array, NDArray[np.int64]] | None
) -> str:
    """The original Hippo's progress line: "Epoch 1: 9123 / 10000", or "Epoch 1 complete"."""
    if test_set is None:
        return f"Epoch {epoch} complete"
    X, labels = test_set
    correct = int(np.count_nonzero(network.predict(X).digits == labels))
    return f"Epoch {epoch}: {correct} / {len(labels)}"


__all__ = ["OriginalHippoApi", "epoch_line"]
