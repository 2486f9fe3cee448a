"""Cost functions C(a, y) and the output error δᴸ = ∂C/∂zᴸ they give with each output layer.

Backpropagation starts from the output error of one sample x,

    δᴸ = ∂C_x/∂zᴸ = Jᵀ · ∇_a C_x          (BP1, general form; J = ∂aᴸ/∂zᴸ)

For an element-wise output (sigmoid) the Jacobian J is diagonal and BP1 becomes Nielsen's
δᴸ = ∇_a C ⊙ σ′(zᴸ). Softmax couples the outputs, J = diag(a) − a aᵀ, so δᴸ needs the full
Jacobian-vector product. The four pairs, with g = ∇_a C:

==========  ===========================  ======================================================
output      cross-entropy                quadratic ½‖a − y‖²  (g = a − y)
==========  ===========================  ======================================================
softmax     C = −Σ y ln a;  δ = a − y    δ = J g = a ⊙ (g − ⟨a, g⟩)
sigmoid     binary CE per unit;          δ = g ⊙ a(1 − a)
            δ = a − y
==========  ===========================  ======================================================

Why cross-entropy gives δ = a − y: for softmax, ∂(−Σ_k y_k ln a_k)/∂z_j = −Σ_k y_k (δ_kj − a_j)
= a_j Σ_k y_k − y_j = a_j − y_j because Σ y = 1. For a sigmoid unit with binary cross-entropy
C = −[y ln a + (1 − y) ln(1 − a)], ∂C/∂a = (a − y) / (a(1 − a)) and σ′ = a(1 − a) cancels it.
Either way the σ′ factor that makes a saturated neuron learn slowly under the quadratic cost is
gone: the error is simply "how wrong", which is why cross-entropy learns faster.

Arrays hold one sample per row: ``z``, ``a``, ``y`` are (m, n_out) and ``y`` is one-hot for
softmax (any targets in [0, 1] for sigmoid). :meth:`Cost.total` returns the cost *summed* over the
m rows (the caller divides by however many samples it has seen); :meth:`Cost.delta` returns the
per-sample δᴸ row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from nn_core.activations import OUTPUTS
from nn_core.arrays import Array

COSTS: tuple[str, ...] = ("cross_entropy", "quadratic")
"""Cost functions, by name."""


def _check_output(output: str) -> None:
    if output not in OUTPUTS:
        raise ValueError(f"unknown output {output!r}; choose one of {', '.join(OUTPUTS)}")


def _logsumexp(z: Array) -> Array:
    """Return ln Σ_k e^(z_k) per row, shifted by the row maximum so that it never overflows."""
    top = z.max(axis=-1)
    return top + np.log(np.exp(z - top[..., None]).sum(axis=-1))


class Cost(Protocol):
    """A cost function paired with either output layer."""

    @property
    def name(self) -> str:
        """The cost's name, one of :data:`COSTS`."""
        ...

    def total(self, output: str, z: Array, a: Array, y: Array) -> float:
        """Return Σ_x C_x over the rows, given logits z, outputs a = σ(z) and targets y."""
        ...

    def delta(self, output: str, z: Array, a: Array, y: Array, out: Array | None = None) -> Array:
        """Return δᴸ = ∂C_x/∂zᴸ for every row x, written into ``out`` when given."""
        ...


@dataclass(frozen=True)
class CrossEntropy:
    """Categorical cross-entropy for softmax, binary cross-entropy per unit for sigmoid.

    The value is computed from the logits z rather than from a = σ(z): ln a would be −inf once a
    confident wrong answer rounds a to 0 in float32, while the log-sum-exp / softplus forms below
    stay exact and finite.
    """

    name: str = "cross_entropy"

    def total(self, output: str, z: Array, a: Array, y: Array) -> float:
        """Σ over rows of −Σ y ln a (softmax) or −Σ [y ln a + (1 − y) ln(1 − a)] (sigmoid)."""
        _check_output(output)
        if output == "softmax":
            # −Σ_k y_k ln softmax(z)_k = logsumexp(z)·Σ_k y_k − Σ_k y_k z_k, and Σ_k y_k = 1.
            return float(_logsumexp(z).sum() - np.vdot(y, z))
        # −y ln σ(z) − (1 − y) ln(1 − σ(z)) = softplus(z) − y z, with softplus(z) = ln(1 + e^z).
        return float(np.logaddexp(0.0, z).sum() - np.vdot(y, z))

    def delta(self, output: str, z: Array, a: Array, y: Array, out: Array | None = None) -> Array:
        """Return a − y (for both outputs: see the module docstring for why)."""
        _check_output(output)
        return np.subtract(a, y, out=out)


@dataclass(frozen=True)
class Quadratic:
    """The mean squared error of Nielsen's chapter 1: C_x = ½‖a − y‖²."""

    name: str = "quadratic"

    def total(self, output: str, z: Array, a: Array, y: Array) -> float:
        """Σ over rows of ½‖a − y‖²."""
        _check_output(output)
        diff = a - y
        return 0.5 * float(np.vdot(diff, diff))

    def delta(self, output: str, z: Array, a: Array, y: Array, out: Array | None = None) -> Array:
        """Return Jᵀ(a − y): (a − y) ⊙ a(1 − a) for sigmoid, a ⊙ (g − ⟨a, g⟩) for softmax."""
        _check_output(output)
        g = np.subtract(a, y, out=out)
        if output == "sigmoid":
            g *= a * (1.0 - a)
            return g
        # Softmax Jacobian J = diag(a) − a aᵀ is symmetric, so Jᵀg = a ⊙ g − a ⟨a, g⟩
        # = a ⊙ (g − ⟨a, g⟩), one dot product per row instead of an (n × n) matrix.
        g -= np.einsum("ij,ij->i", a, g)[:, None] if g.ndim == 2 else np.dot(a, g)
        g *= a
        return g


_COSTS: dict[str, Cost] = {"cross_entropy": CrossEntropy(), "quadratic": Quadratic()}


def get_cost(name: str) -> Cost:
    """Return the cost function called ``name``.

    Raises:
        ValueError: ``name`` is not one of :data:`COSTS`.
    """
    try:
        return _COSTS[name]
    except KeyError:
        raise ValueError(f"unknown cost {name!r}; choose one of {', '.join(COSTS)}") from None
