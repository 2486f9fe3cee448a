"""What the training loop needs of a network, so that it does not depend on the network's class.

:class:`nn_core.sequential.Sequential` is the one implementation. The loop and the divergence
guard see only this interface, which keeps the import graph one-way: the network imports the
loop, never the other way round.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from nn_core.arrays import Array


class Trainable(Protocol):
    """A network the training loop can train: parameters, gradients, backprop, evaluation."""

    rng: np.random.Generator
    activation: str
    output: str
    cost: str

    @property
    def has_convolutions(self) -> bool:
        """Whether any layer is a convolution (they train with more BLAS threads allowed)."""
        ...

    def parameters(self) -> list[Array]:
        """Every parameter array, updated in place by the optimizer."""
        ...

    def parameter_gradients(self) -> list[Array]:
        """The gradient arrays, aligned with :meth:`parameters`, filled by :meth:`backprop`."""
        ...

    def first_bias_gradient(self) -> Array:
        """∂C/∂b of the first layer with parameters (all zero: no error reaches it)."""
        ...

    def backprop(self, X: Array, Y: Array, l2: float = 0.0) -> float:
        """Fill the gradients for one mini-batch; return its summed cost."""
        ...

    def score(self, X: Array, labels: NDArray[np.int64]) -> tuple[float, float]:
        """Accuracy (percent) and mean cost on labelled rows."""
        ...

    def clear_buffers(self) -> None:
        """Free the training buffers."""
        ...
