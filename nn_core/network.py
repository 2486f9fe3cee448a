# The maths is written in its own symbols (σ, −, ×, ′, …), on purpose.
"""A fully connected feedforward network trained by mini-batch gradient descent and backprop.

This is Michael Nielsen's ``network.py`` (*Neural Networks and Deep Learning*, chapters 1-3)
grown up: the same API and the same ideas, but every mini-batch goes through the network as one
matrix instead of one sample at a time, and the choices Nielsen fixes (sigmoid, quadratic cost,
plain SGD) are parameters.

Notation
--------
Layers are numbered 0 (the input) to L (the output); layer l has ``sizes[l]`` neurons. In the
code, ``weights[l - 1]`` and ``biases[l - 1]`` belong to layer l: ``weights[l - 1][j, k]`` is the
weight from neuron k of layer l − 1 to neuron j of layer l, so one layer computes, for one sample
held as a column vector,

    zˡ = wˡ aˡ⁻¹ + bˡ,        aˡ = σ(zˡ)                                   (forward pass)

with a⁰ = x, σ the hidden activation for 0 < l < L and the output activation (softmax or
sigmoid) for l = L.

Batches: one sample per row
---------------------------
A mini-batch of m samples is an (m × n) matrix X whose rows are the samples, as NumPy and every
data loader store them. Transposing the column equation turns it into

    Zˡ = Aˡ⁻¹ wˡᵀ + bˡ          (Zˡ is m × sizes[l]; bˡ is broadcast to every row)

which is a single matrix product per layer for the whole batch.

Backpropagation, for the batch
------------------------------
With Δˡ = ∂C/∂Zˡ (row x holds δˡ of sample x) and C = (1/m) Σ_x C_x the mean cost of the batch:

    BP1   Δᴸ = ∂C_x/∂zᴸ row by row (a − y for cross-entropy: see :mod:`nn_core.costs`), ÷ m
    BP2   Δˡ = (Δˡ⁺¹ wˡ⁺¹) ⊙ σ′(Zˡ)
    BP3   ∂C/∂bˡ = Σ_rows Δˡ
    BP4   ∂C/∂wˡ = Δˡᵀ Aˡ⁻¹

BP1 divides by m once: every later quantity is linear in Δᴸ, so BP3 and BP4 then give the mean
gradient directly (Nielsen sums per-sample gradients and divides by m in the update; same
numbers, fewer operations). BP4's matrix product also does the sum over the batch: entry (j, k)
of Δˡᵀ Aˡ⁻¹ is Σ_x δˡ_xj aˡ⁻¹_xk.

Learning-rate convention
------------------------
Gradients are those of the **mean** cost over the mini-batch, and an SGD step is
w ← w − η ∂C/∂w. This is exactly the original Hippo's ``w − (η/m) Σ_x ∇C_x``, so a learning
rate means the same here as in the original Hippo and does not change with the mini-batch size.
L2 weight decay adds (λ/2) Σ w² to the cost (weights only, not biases), i.e. λ w to each weight
gradient; Nielsen's ``lmbda`` is relative to the training-set size n, so his λ = 5.0 with
n = 50,000 is ``l2=1e-4`` here.

Layers
------
``NeuralNetwork(sizes)`` is built from layers (:mod:`nn_core.layers`): for each l = 1 … L a
:class:`~nn_core.layers.Dense` layer computing Zˡ, followed (for l < L) by an activation layer
computing Aˡ = σ(Zˡ); the output activation and the cost close the chain. BP3 and BP4 are the
dense layer's backward pass, BP2 is the dense layer's Δ wˡ followed by the activation layer's
⊙ σ′(Zˡ), and BP1 starts the chain in :meth:`~nn_core.sequential.Sequential.backprop`. The same
machinery runs convolutional networks (:class:`~nn_core.sequential.Sequential`), and the
training loop lives in :mod:`nn_core.training_loop`. ``weights[l - 1]`` and ``biases[l - 1]``
are the dense layers' own arrays, so changing them in place changes the network.

Divergence
----------
Too large a learning rate fails in one of two ways, and :meth:`NeuralNetwork.train` stops with
:class:`TrainingDiverged` (naming the cause and a fix, parameters restored) on either: the loss
becomes NaN or infinite, or the network dies: the first steps throw the weights so far that every
ReLU outputs 0 for every input, no gradient reaches the first layer any more, and the loss sits
at chance level for ever. The original Hippo's documented example, 784-100-10 ReLU with softmax
and cross-entropy at batch 10 and η = 3.0, does the latter within the first epoch: the first few
steps throw the weights so far that every hidden unit is dead. With the original Hippo's own
network (784-30-10 sigmoid, sigmoid output, quadratic cost) η = 3.0 is fine: σ′ ≤ ¼ and the
quadratic cost's extra σ′ factor keep its steps small (docs/TRAINING.md has both runs). For ReLU
with softmax / cross-entropy, η = 0.1 (SGD) or 0.001 (Adam) are good starting points.

Everything is computed in the network's dtype (float32 by default: half the memory traffic of
float64 and twice the SIMD width, with all the precision that learning needs; float64 is there
for gradient checks).
"""

from __future__ import annotations

import copy as copy_module
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from nn_core.activations import ACTIVATIONS, OUTPUTS
from nn_core.arrays import Array
from nn_core.costs import COSTS
from nn_core.datasets import Dataset, LabelledImages
from nn_core.layers import mlp_specs
from nn_core.optimizers import OPTIMIZERS
from nn_core.schedules import SCHEDULES
from nn_core.sequential import (
    DTYPES,
    EVAL_CHUNK,
    LayerActivations,
    Prediction,
    Sequential,
    check_dtype,
    check_output_and_cost,
)
from nn_core.training_loop import (
    STALL_MIN_LOSS,
    STALL_PATIENCE,
    EpochReport,
    TrainingDiverged,
)

__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "DTYPES",
    "EVAL_CHUNK",
    "OPTIMIZERS",
    "OUTPUTS",
    "SCHEDULES",
    "STALL_MIN_LOSS",
    "STALL_PATIENCE",
    "Dataset",
    "EpochReport",
    "Gradients",
    "LabelledImages",
    "LayerActivations",
    "NeuralNetwork",
    "Prediction",
    "TrainingDiverged",
]


@dataclass(frozen=True)
class Gradients:
    """Gradients of the mean cost: ``weights[l]`` is ∂C/∂``weights[l]``, likewise ``biases``."""

    weights: list[Array]
    biases: list[Array]


class NeuralNetwork(Sequential):
    """A fully connected feedforward network: ``NeuralNetwork([784, 100, 10])``.

    Args:
        sizes: Neurons per layer, input first: ``[784, 30, 10]`` is Nielsen's network with 784
            inputs, one hidden layer of 30 neurons and 10 outputs.
        activation: Hidden-layer activation, one of :data:`ACTIVATIONS`.
        output: Output activation, "softmax" (a distribution over the classes) or "sigmoid"
            (independent units, as in the original Hippo).
        cost: "cross_entropy" (categorical for softmax, binary per unit for sigmoid) or
            "quadratic" (½‖a − y‖², the original Hippo's cost).
        seed: Seeds ``np.random.default_rng``, which draws the initial weights and shuffles the
            training data: the same seed gives bit-identical networks and training runs.
        dtype: "float32" (default) or "float64".

    Raises:
        ValueError: An argument is out of range or names an unknown function.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "relu",
        output: str = "softmax",
        cost: str = "cross_entropy",
        seed: int | None = None,
        dtype: str = "float32",
    ) -> None:
        checked = _check_sizes(sizes)
        _check_functions(activation, output, cost)
        super().__init__(mlp_specs(checked, activation), [checked[0]], output, cost, seed, dtype)
        self.sizes = checked
        self.activation = activation

    @classmethod
    def from_parameters(
        cls,
        sizes: Sequence[int],
        weights: Sequence[ArrayLike],
        biases: Sequence[ArrayLike],
        activation: str = "relu",
        output: str = "softmax",
        cost: str = "cross_entropy",
        dtype: str | None = None,
        *,
        seed: int | None = None,
    ) -> NeuralNetwork:
        """Build a network around existing parameters (copied, and converted to ``dtype``).

        Args:
            sizes: Neurons per layer.
            weights: ``weights[l]`` of shape (sizes[l+1], sizes[l]).
            biases: ``biases[l]`` of shape (sizes[l+1],).
            activation: Hidden-layer activation.
            output: Output activation.
            cost: Cost function (used by further training and :meth:`loss`).
            dtype: "float32" or "float64"; None keeps the weights' dtype when it is one of
                those, else float32.
            seed: Seeds the generator used to shuffle data if the network is trained further.

        Raises:
            ValueError: A count, shape or name does not match (the message names the layer), or
                a parameter is NaN or infinite.
        """
        sizes = _check_sizes(sizes)
        if dtype is None:
            found = np.asarray(weights[0]).dtype.name if len(weights) else "float32"
            dtype = found if found in DTYPES else "float32"
        network_dtype = check_dtype(dtype)
        _check_functions(activation, output, cost)
        layers = len(sizes) - 1
        for what, given in (("weight", weights), ("bias", biases)):
            if len(given) != layers:
                raise ValueError(
                    f"sizes {sizes} need {layers} {what} arrays (one per layer after the "
                    f"input), got {len(given)}"
                )
        new_weights: list[Array] = []
        new_biases: list[Array] = []
        for layer, (w_like, b_like) in enumerate(zip(weights, biases, strict=True)):
            expected_w = (sizes[layer + 1], sizes[layer])
            expected_b = (sizes[layer + 1],)
            w = np.array(w_like, dtype=network_dtype, copy=True)
            b = np.array(b_like, dtype=network_dtype, copy=True)
            if w.shape != expected_w:
                raise ValueError(
                    f"layer {layer}: weights have shape {w.shape}, expected {expected_w} "
                    f"(sizes[{layer + 1}] × sizes[{layer}])"
                )
            if b.shape != expected_b:
                raise ValueError(
                    f"layer {layer}: biases have shape {b.shape}, expected {expected_b}"
                )
            if not (np.isfinite(w).all() and np.isfinite(b).all()):
                raise ValueError(f"layer {layer}: parameters contain NaN or infinity")
            new_weights.append(w)
            new_biases.append(b)
        network = cls(sizes, activation, output, cost, seed=seed, dtype=network_dtype.name)
        for dense, w, b in zip(network.parameter_layers, new_weights, new_biases, strict=True):
            dense.set_parameters(w, b)
        return network

    @property
    def num_layers(self) -> int:
        """Layers, the input layer included (the original Hippo's ``num_layers``)."""
        return len(self.sizes)

    def __repr__(self) -> str:
        return (
            f"NeuralNetwork(sizes={self.sizes}, activation={self.activation!r}, "
            f"output={self.output!r}, cost={self.cost!r}, dtype={self.dtype.name!r})"
        )

    def copy(self) -> NeuralNetwork:
        """Return an independent copy (parameters and random-generator state)."""
        twin = NeuralNetwork.from_parameters(
            self.sizes,
            self.weights,
            self.biases,
            self.activation,
            self.output,
            self.cost,
            self.dtype.name,
        )
        twin.set_rng(copy_module.deepcopy(self.rng))
        return twin

    def gradients(self, X: ArrayLike, y: ArrayLike, l2: float = 0.0) -> Gradients:
        """Return the gradient of the mean cost over (X, y), plus (λ/2)Σw² when ``l2`` = λ > 0.

        This runs the same backpropagation code as :meth:`train`; it is there for gradient
        checks and for learning what backpropagation computes.

        Args:
            X: Inputs, shape (n, 784) or (784,).
            y: Integer labels (n,) or target rows (n, 10).
            l2: The L2 coefficient λ.
        """
        per_layer = self.layer_gradients(X, y, l2)
        return Gradients(weights=[w for w, _ in per_layer], biases=[b for _, b in per_layer])


def _check_sizes(sizes: Sequence[int]) -> list[int]:
    checked = [int(n) for n in sizes]
    if len(checked) < 2:
        raise ValueError(f"sizes needs at least an input and an output layer, got {list(sizes)}")
    if any(n < 1 or n != s for n, s in zip(checked, sizes, strict=True)):
        raise ValueError(f"sizes must be positive integers, got {list(sizes)}")
    return checked


def _check_functions(activation: str, output: str, cost: str) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}"
        )
    check_output_and_cost(output, cost)
