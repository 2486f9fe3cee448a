# The maths is written in its own symbols (σ, −, ×, ′, …), on purpose.
"""A feedforward neural network trained by mini-batch gradient descent and backpropagation.

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
w ← w − η ∂C/∂w. This is exactly the seed's ``w − (η/m) Σ_x ∇C_x``, so a learning rate means
the same here as in the seed and does not change with the mini-batch size. L2 weight decay adds
(λ/2) Σ w² to the cost (weights only, not biases), i.e. λ w to each weight gradient; Nielsen's
``lmbda`` is relative to the training-set size n, so his λ = 5.0 with n = 50,000 is
``l2=1e-4`` here.

Divergence
----------
Too large a learning rate fails in one of two ways, and :meth:`NeuralNetwork.train` stops with
:class:`TrainingDiverged` (naming the cause and a fix, parameters restored) on either: the loss
becomes NaN or infinite, or the network dies: the first steps throw the weights so far that every
ReLU outputs 0 for every input, no gradient reaches the first layer any more, and the loss sits
at chance level for ever. The seed's documented example, 784-100-10 ReLU with softmax and
cross-entropy at batch 10 and η = 3.0, does the latter: the loss jumps from 2.2 to about 160
within three mini-batches, all 100 hidden units are dead by batch 30, and training stops in the
first epoch (batch 232 with seed 1, after a fraction of a second). With the seed's own network
(784-30-10 sigmoid, sigmoid output, quadratic cost) η = 3.0 is fine (95.8 % after 30 epochs):
σ′ ≤ ¼ and the quadratic cost's extra σ′ factor keep its steps small. For ReLU with softmax /
cross-entropy, η = 0.1 (SGD) or 0.001 (Adam) are good starting points.

Everything is computed in the network's dtype (float32 by default: half the memory traffic of
float64 and twice the SIMD width, with all the precision that learning needs; float64 is there
for gradient checks).
"""

from __future__ import annotations

import contextlib
import copy as copy_module
import importlib
import itertools
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from nn_core.activations import ACTIVATIONS, OUTPUTS, get_activation, output_forward
from nn_core.costs import COSTS, get_cost
from nn_core.initialization import init_parameters
from nn_core.optimizers import OPTIMIZERS, Optimizer, make_optimizer
from nn_core.schedules import SCHEDULES, check_schedule, learning_rate_at

__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "DTYPES",
    "OPTIMIZERS",
    "OUTPUTS",
    "SCHEDULES",
    "EpochReport",
    "Gradients",
    "LayerActivations",
    "NeuralNetwork",
    "Prediction",
    "TrainingDiverged",
]

Array = NDArray[np.floating]

DTYPES: tuple[str, ...] = ("float32", "float64")
"""Supported parameter dtypes."""

STALL_PATIENCE = 50
"""Consecutive mini-batches without any gradient reaching the first layer that mean "dead"."""

STALL_MIN_LOSS = 1e-3
"""...unless the mean loss over them is below this: then the network simply fits those batches."""

TRAINING_BLAS_THREADS: int | None = 1
"""BLAS threads while :meth:`NeuralNetwork.train` runs (None: leave BLAS as it is).

A mini-batch's matrix products are small (64 × 784 by 784 × 100 is 5 MFLOP, a tenth of a
millisecond on one core), so splitting each of them across threads costs more in hand-offs than
it gains; on a busy machine, where a thread has to wait for a core, it is ruinous (measured on
the 2-core development machine under load: an epoch of 784-100-10 at batch 10 took 12.3 s with
two threads and 0.7 s with one). The limit needs the ``threadpoolctl`` package; without it, set
``OPENBLAS_NUM_THREADS=1`` in the environment.
"""

EVAL_CHUNK = 8192
"""Rows per forward pass when evaluating large arrays (bounds the memory of the activations)."""


class LabelledImages(Protocol):
    """Anything with ``images`` (n, 784) and ``labels`` (n,), such as ``nn_core.mnist.Split``."""

    @property
    def images(self) -> NDArray[Any]:
        """The inputs, one per row."""
        ...

    @property
    def labels(self) -> NDArray[Any]:
        """The integer labels."""
        ...


Dataset = tuple[NDArray[Any], NDArray[Any]] | LabelledImages | Iterable[tuple[ArrayLike, Any]]
"""Data in any of the accepted forms: ``(X, y)`` arrays (X one sample per row, y integer labels or
one-hot rows), an object with ``images`` and ``labels``, or the seed's list of ``(x, y)`` pairs
(x a (784, 1) column; y a one-hot (10, 1) column or an integer label)."""


@dataclass(frozen=True)
class Prediction:
    """The network's answer for a batch of inputs.

    Attributes:
        digits: The predicted class of each input, shape (n,), int64.
        probabilities: The output distribution of each input, shape (n, n_out), float32. For a
            softmax output these are the activations; for a sigmoid output (independent units)
            the activations divided by their sum, so that every row sums to 1.
    """

    digits: NDArray[np.int64]
    probabilities: NDArray[np.float32]


@dataclass(frozen=True)
class LayerActivations:
    """What one layer computed for one input (for visualizations).

    Attributes:
        index: The layer number, 0 for the input layer.
        size: Neurons in the layer.
        activation: "input" for layer 0, the hidden activation's name, or the output's name.
        values: The activations aˡ, shape (size,).
        pre_activations: The weighted inputs zˡ = wˡaˡ⁻¹ + bˡ, shape (size,); None for the input.
    """

    index: int
    size: int
    activation: str
    values: Array
    pre_activations: Array | None


@dataclass(frozen=True)
class EpochReport:
    """The outcome of one training epoch.

    Attributes:
        epoch: The epoch number, 1-based.
        train_loss: Mean cost over the epoch's mini-batches, each measured just before its update
            (a running estimate, free to compute; without the L2 term).
        validation_accuracy: Percent correct (0-100) on the validation data (or, without it, the
            test data); None when neither was given.
        validation_loss: Mean cost on the same data; None when neither was given.
        learning_rate: The learning rate used during the epoch (after the schedule).
        seconds: Wall time of the epoch, evaluation included.
    """

    epoch: int
    train_loss: float
    validation_accuracy: float | None
    validation_loss: float | None
    learning_rate: float
    seconds: float


@dataclass(frozen=True)
class Gradients:
    """Gradients of the mean cost: ``weights[l]`` is ∂C/∂``weights[l]``, likewise ``biases``."""

    weights: list[Array]
    biases: list[Array]


class TrainingDiverged(RuntimeError):  # noqa: N818 (the name is the interface)
    """The loss became NaN or infinite; the message names the likely cause and a fix.

    Attributes:
        epoch: The epoch (1-based) in which training diverged.
        batch: The mini-batch (1-based) whose loss was not finite, or None when the parameters
            were found non-finite at the end of the epoch.
        learning_rate: The learning rate in use at that point.
    """

    def __init__(self, message: str, *, epoch: int, batch: int | None, learning_rate: float):
        super().__init__(message)
        self.epoch = epoch
        self.batch = batch
        self.learning_rate = learning_rate


@dataclass
class _Workspace:
    """Preallocated per-layer buffers for mini-batches of one size, reused by every batch."""

    x: Array  # the batch's inputs, A⁰
    y: Array  # its targets
    z: list[Array]  # Zˡ for l = 1 … L
    a: list[Array]  # Aˡ for l = 1 … L
    delta: list[Array]  # Δˡ for l = 1 … L
    slope: list[Array]  # σ′(Zˡ) for the hidden layers l = 1 … L − 1
    decay: list[Array]  # λwˡ, shaped like the weights

    @classmethod
    def create(cls, sizes: Sequence[int], rows: int, dtype: np.dtype[Any]) -> _Workspace:
        def buffers(layer_sizes: Sequence[int]) -> list[Array]:
            return [np.empty((rows, n), dtype=dtype) for n in layer_sizes]

        return cls(
            x=np.empty((rows, sizes[0]), dtype=dtype),
            y=np.empty((rows, sizes[-1]), dtype=dtype),
            z=buffers(sizes[1:]),
            a=buffers(sizes[1:]),
            delta=buffers(sizes[1:]),
            slope=buffers(sizes[1:-1]),
            decay=[np.empty((n, k), dtype=dtype) for k, n in itertools.pairwise(sizes)],
        )


class NeuralNetwork:
    """A fully connected feedforward network: ``NeuralNetwork([784, 100, 10])``.

    Args:
        sizes: Neurons per layer, input first: ``[784, 30, 10]`` is Nielsen's network with 784
            inputs, one hidden layer of 30 neurons and 10 outputs.
        activation: Hidden-layer activation, one of :data:`ACTIVATIONS`.
        output: Output activation, "softmax" (a distribution over the classes) or "sigmoid"
            (independent units, as in the seed).
        cost: "cross_entropy" (categorical for softmax, binary per unit for sigmoid) or
            "quadratic" (½‖a − y‖², the seed's cost).
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
        self.sizes = _check_sizes(sizes)
        self.activation = activation
        self.output = output
        self.cost = cost
        self.dtype = _check_dtype(dtype)
        _check_functions(activation, output, cost)
        self._rng = np.random.default_rng(seed)
        self.weights, self.biases = init_parameters(self.sizes, activation, self._rng, self.dtype)

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
        network_dtype = _check_dtype(dtype)
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
        network = cls.__new__(cls)
        network.sizes = sizes
        network.activation, network.output, network.cost = activation, output, cost
        network.dtype = network_dtype
        network._rng = np.random.default_rng(seed)
        network.weights, network.biases = new_weights, new_biases
        return network

    @property
    def num_layers(self) -> int:
        """Layers, the input layer included (the seed's ``num_layers``)."""
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
        twin._rng = copy_module.deepcopy(self._rng)
        return twin

    # ----------------------------------------------------------------------------------------
    # Forward pass
    # ----------------------------------------------------------------------------------------

    def _forward(self, X: Array) -> tuple[list[Array], list[Array]]:
        """Run rows X through the network; return ``(zs, activations)`` for layers 1 … L."""
        hidden = get_activation(self.activation)
        zs: list[Array] = []
        activations: list[Array] = []
        a = X
        last = len(self.weights) - 1
        for layer, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = a @ w.T
            z += b
            a = hidden.forward(z) if layer < last else output_forward(self.output, z)
            zs.append(z)
            activations.append(a)
        return zs, activations

    def _output(self, X: Array) -> Array:
        """Output activations for the rows of X, computed in chunks of :data:`EVAL_CHUNK` rows."""
        if len(X) <= EVAL_CHUNK:
            return self._forward(X)[1][-1]
        out = np.empty((len(X), self.sizes[-1]), dtype=self.dtype)
        for start in range(0, len(X), EVAL_CHUNK):
            out[start : start + EVAL_CHUNK] = self._forward(X[start : start + EVAL_CHUNK])[1][-1]
        return out

    def _rows(self, X: ArrayLike, what: str = "X") -> Array:
        """X as a C-contiguous (n, sizes[0]) array in our dtype; (784,) becomes one row."""
        rows = np.ascontiguousarray(X, dtype=self.dtype)
        if rows.ndim == 1:
            rows = rows[None, :]
        if rows.ndim != 2 or rows.shape[1] != self.sizes[0]:
            raise ValueError(
                f"{what} must have shape (n, {self.sizes[0]}) or ({self.sizes[0]},), "
                f"got {np.shape(X)}"
            )
        return rows

    def feedforward(self, a: ArrayLike) -> Array:
        """Return the network's output for ``a`` (the seed's method, extended to batches).

        Args:
            a: One sample as a column (784, 1) — the seed's form, answered with a column
                (10, 1) — or as a vector (784,) → (10,), or a batch of rows (n, 784) → (n, 10).
        """
        x = np.asarray(a, dtype=self.dtype)
        n_in = self.sizes[0]
        if x.ndim == 2 and x.shape == (n_in, 1):
            column: Array = np.ascontiguousarray(self._output(x.T).T)
            return column
        out = self._output(self._rows(x, "a"))
        return out[0] if x.ndim == 1 else out

    def predict(self, X: ArrayLike) -> Prediction:
        """Classify a batch (n, 784) or one sample (784,): digits and probabilities.

        Returns:
            A :class:`Prediction` with n rows (1 for a single sample).
        """
        out = self._output(self._rows(X))
        if self.output == "sigmoid":
            totals = out.sum(axis=1, keepdims=True)
            uniform = np.full_like(out, 1.0 / out.shape[1])
            out = np.divide(out, totals, out=uniform, where=totals > 0)
        return Prediction(
            digits=out.argmax(axis=1).astype(np.int64),
            probabilities=out.astype(np.float32, copy=False),
        )

    def activations(self, x: ArrayLike) -> list[LayerActivations]:
        """Every layer's activations (and pre-activations) for one sample, input layer first.

        Args:
            x: One sample, shape (784,), (784, 1) or (1, 784).

        Raises:
            ValueError: ``x`` is not exactly one sample of the input size.
        """
        sample = np.asarray(x, dtype=self.dtype)
        if sample.size != self.sizes[0] or sample.ndim > 2 or 0 in sample.shape:
            raise ValueError(
                f"x must be one sample of {self.sizes[0]} values, shape ({self.sizes[0]},), "
                f"({self.sizes[0]}, 1) or (1, {self.sizes[0]}); got {sample.shape}"
            )
        row = sample.reshape(1, -1)
        zs, activations = self._forward(row)
        layers = [LayerActivations(0, self.sizes[0], "input", row[0].copy(), None)]
        for layer, (z, a) in enumerate(zip(zs, activations, strict=True), start=1):
            name = self.output if layer == len(zs) else self.activation
            layers.append(LayerActivations(layer, self.sizes[layer], name, a[0], z[0]))
        return layers

    def evaluate(self, test_data: Dataset) -> int:
        """Return how many samples of ``test_data`` the network classifies correctly (seed API).

        Args:
            test_data: The seed's list of ``(x, label)`` pairs, or ``(X, labels)`` arrays.
        """
        X, labels = self._labelled(test_data, "test_data")
        return int(np.count_nonzero(self.predict(X).digits == labels))

    def loss(self, X: ArrayLike, y: ArrayLike) -> float:
        """Return the mean cost over the samples (without any L2 term).

        Args:
            X: Inputs, shape (n, 784) or (784,).
            y: Integer labels (n,) or target rows (n, 10) (one-hot for softmax).
        """
        rows = self._rows(X)
        targets = self._targets(np.asarray(y), len(rows), "y")
        cost = get_cost(self.cost)
        total = 0.0
        for start in range(0, len(rows), EVAL_CHUNK):
            zs, activations = self._forward(rows[start : start + EVAL_CHUNK])
            total += cost.total(
                self.output, zs[-1], activations[-1], targets[start : start + EVAL_CHUNK]
            )
        return total / len(rows)

    # ----------------------------------------------------------------------------------------
    # Backpropagation
    # ----------------------------------------------------------------------------------------

    def _backprop(
        self,
        ws: _Workspace,
        X: Array,
        Y: Array,
        grad_w: list[Array],
        grad_b: list[Array],
        l2: float,
    ) -> float:
        """Fill ``grad_w`` / ``grad_b`` with the gradient of the batch's mean cost (+ L2).

        Args:
            ws: Buffers for ``len(X)`` rows.
            X: The inputs A⁰, one sample per row.
            Y: The targets, one per row.
            grad_w: Output arrays shaped like the weights.
            grad_b: Output arrays shaped like the biases.
            l2: The L2 coefficient λ (adds λw to each weight gradient).

        Returns:
            The batch's cost summed over its samples (before this update), for the running
            training loss and the divergence check.
        """
        hidden = get_activation(self.activation)
        cost = get_cost(self.cost)
        weights, biases = self.weights, self.biases
        last = len(weights) - 1

        # Forward pass, keeping every Zˡ and Aˡ: Zˡ = Aˡ⁻¹ wˡᵀ + bˡ, Aˡ = σ(Zˡ).
        a = X
        for layer in range(last + 1):
            z = np.matmul(a, weights[layer].T, out=ws.z[layer])
            z += biases[layer]
            if layer < last:
                a = hidden.forward(z, out=ws.a[layer])
            else:
                a = output_forward(self.output, z, out=ws.a[layer])
        total = cost.total(self.output, ws.z[last], a, Y)

        # BP1: the output error, divided by m so that BP3 and BP4 yield mean gradients.
        delta = cost.delta(self.output, ws.z[last], a, Y, out=ws.delta[last])
        delta *= 1.0 / len(X)
        for layer in range(last, -1, -1):
            a_prev = ws.a[layer - 1] if layer > 0 else X
            np.matmul(delta.T, a_prev, out=grad_w[layer])  # BP4
            delta.sum(axis=0, out=grad_b[layer])  # BP3
            if l2:
                grad_w[layer] += np.multiply(weights[layer], l2, out=ws.decay[layer])
            if layer > 0:
                # BP2: carry the error back through wˡ, then through σ′ of the layer below.
                below = np.matmul(delta, weights[layer], out=ws.delta[layer - 1])
                below *= hidden.derivative(
                    ws.z[layer - 1], ws.a[layer - 1], out=ws.slope[layer - 1]
                )
                delta = below
        return total

    def gradients(self, X: ArrayLike, y: ArrayLike, l2: float = 0.0) -> Gradients:
        """Return the gradient of the mean cost over (X, y), plus (λ/2)Σw² when ``l2`` = λ > 0.

        This runs the same backpropagation code as :meth:`train`; it is there for gradient
        checks and for learning what backpropagation computes.

        Args:
            X: Inputs, shape (n, 784) or (784,).
            y: Integer labels (n,) or target rows (n, 10).
            l2: The L2 coefficient λ.
        """
        rows = self._rows(X)
        targets = self._targets(np.asarray(y), len(rows), "y")
        ws = _Workspace.create(self.sizes, len(rows), self.dtype)
        grad_w = [np.empty_like(w) for w in self.weights]
        grad_b = [np.empty_like(b) for b in self.biases]
        self._backprop(ws, rows, targets, grad_w, grad_b, l2)
        return Gradients(weights=grad_w, biases=grad_b)

    # ----------------------------------------------------------------------------------------
    # Training
    # ----------------------------------------------------------------------------------------

    def train(
        self,
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
        on_batch: Callable[[int, int], None] | None = None,
        on_epoch: Callable[[EpochReport], bool | None] | None = None,
        verbose: bool = True,
    ) -> list[EpochReport]:
        """Train with mini-batch gradient descent (the seed's ``SGD``, under the seed's name).

        Each epoch shuffles the training data (one permutation, drawn from the network's
        seeded generator), cuts it into mini-batches of ``mini_batch_size`` (the last one may be
        smaller) and takes one optimizer step per batch on the gradient of the batch's mean cost.

        Args:
            training_data: ``(X, y)`` arrays (X (n, 784); y labels (n,) or one-hot (n, 10)),
                an object with ``images`` and ``labels``, or the seed's list of ``(x, y)``
                column pairs.
            epochs: Passes over the training data.
            mini_batch_size: Samples per gradient step.
            learning_rate: η (the base rate when a schedule is used); see the module docstring
                for the convention.
            test_data: Evaluated after each epoch (as in the seed) when no validation data is
                given; with ``verbose`` and no ``on_epoch``, its score is printed.
            validation_data: Evaluated after each epoch for the report's accuracy and loss.
            optimizer: "sgd", "momentum" or "adam".
            momentum: μ for "momentum".
            beta1: β₁ for "adam".
            beta2: β₂ for "adam".
            l2: The L2 weight-decay coefficient λ (cost + (λ/2)Σw²).
            schedule: None / "constant", "step" or "cosine" (per epoch).
            on_batch: Called after every mini-batch with (batches done, batches in the epoch).
            on_epoch: Called after every epoch with its :class:`EpochReport`; returning False
                stops training.
            verbose: Print the seed's "Epoch 1: 9123 / 10000" lines (only without ``on_epoch``).

        Returns:
            One :class:`EpochReport` per completed epoch.

        Raises:
            TrainingDiverged: The loss became NaN or infinite. The parameters are first restored
                to their values at the start of that epoch (the last state known to be good).
            ValueError: An argument is out of range or the data are malformed.
        """
        _check_training_arguments(epochs, mini_batch_size, learning_rate, l2, optimizer)
        check_schedule(schedule)
        X, Y = self._training_arrays(training_data)
        evaluation = validation_data if validation_data is not None else test_data
        eval_set = self._labelled(evaluation, "validation_data") if evaluation is not None else None
        printed_set = (
            self._labelled(test_data, "test_data")
            if test_data is not None and verbose and on_epoch is None
            else None
        )

        # Parameters are updated in place: make sure they are writable arrays of our dtype.
        self.weights = [np.require(w, self.dtype, ["C", "W", "O"]) for w in self.weights]
        self.biases = [np.require(b, self.dtype, ["C", "W", "O"]) for b in self.biases]
        state = _TrainingState.create(self, optimizer, momentum, beta1, beta2, l2)
        reports: list[EpochReport] = []
        with _limit_blas_threads():
            for epoch in range(1, epochs + 1):
                started = time.perf_counter()
                rate = learning_rate_at(schedule, learning_rate, epoch - 1, epochs)
                state.guard.start_epoch(epoch, rate)
                train_loss = self._run_epoch(state, X, Y, mini_batch_size, rate, l2, on_batch)
                accuracy = validation_loss = None
                if eval_set is not None:
                    accuracy, validation_loss = self._score(*eval_set)
                report = EpochReport(
                    epoch=epoch,
                    train_loss=train_loss,
                    validation_accuracy=accuracy,
                    validation_loss=validation_loss,
                    learning_rate=rate,
                    seconds=time.perf_counter() - started,
                )
                reports.append(report)
                if on_epoch is not None:
                    if on_epoch(report) is False:
                        break
                elif verbose:
                    print(self._seed_epoch_line(epoch, printed_set))
        return reports

    def _run_epoch(
        self,
        state: _TrainingState,
        X: Array,
        Y: Array,
        batch_size: int,
        rate: float,
        l2: float,
        on_batch: Callable[[int, int], None] | None,
    ) -> float:
        """One pass over shuffled mini-batches; return the mean training loss seen."""
        n = len(X)
        batches = math.ceil(n / batch_size)
        order = self._rng.permutation(n)
        total = 0.0
        # NaN and overflow are dealt with by the guard (TrainingDiverged), so NumPy's warnings
        # about them would only be noise in front of the real message.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for batch in range(batches):
                index = order[batch * batch_size : (batch + 1) * batch_size]
                ws = state.workspace(self, len(index))
                # Gather the batch into contiguous buffers (no new arrays per batch).
                np.take(X, index, axis=0, out=ws.x, mode="clip")
                np.take(Y, index, axis=0, out=ws.y, mode="clip")
                batch_total = self._backprop(ws, ws.x, ws.y, state.grad_w, state.grad_b, l2)
                state.guard.check_batch(batch + 1, batch_total / len(index), state.grad_b[0])
                total += batch_total
                state.optimizer.step(state.params, state.grads, rate)
                if on_batch is not None:
                    on_batch(batch + 1, batches)
        state.guard.check_parameters()
        return total / n

    def _seed_epoch_line(self, epoch: int, test_set: tuple[Array, NDArray[np.int64]] | None) -> str:
        """The seed's progress line: "Epoch 1: 9123 / 10000", or "Epoch 1 complete"."""
        if test_set is None:
            return f"Epoch {epoch} complete"
        X, labels = test_set
        correct = int(np.count_nonzero(self.predict(X).digits == labels))
        return f"Epoch {epoch}: {correct} / {len(labels)}"

    def _score(self, X: Array, labels: NDArray[np.int64]) -> tuple[float, float]:
        """Accuracy (percent) and mean cost on labelled data, in one forward pass."""
        cost = get_cost(self.cost)
        correct = 0
        total = 0.0
        eye = np.eye(self.sizes[-1], dtype=self.dtype)
        for start in range(0, len(X), EVAL_CHUNK):
            chunk = slice(start, start + EVAL_CHUNK)
            zs, activations = self._forward(X[chunk])
            correct += int(np.count_nonzero(activations[-1].argmax(axis=1) == labels[chunk]))
            total += cost.total(self.output, zs[-1], activations[-1], eye[labels[chunk]])
        return 100.0 * correct / len(X), total / len(X)

    # ----------------------------------------------------------------------------------------
    # Data in the seed's and in array form
    # ----------------------------------------------------------------------------------------

    def _training_arrays(self, data: Dataset) -> tuple[Array, Array]:
        """Training data as (X, Y): inputs (n, 784) and target rows (n, 10), network dtype."""
        X, y = _split_dataset(data, "training_data")
        rows = self._rows(X, "training_data inputs")
        # min and max propagate NaN and expose ±inf, without a temporary the size of the data.
        if not (np.isfinite(rows.min()) and np.isfinite(rows.max())):
            raise ValueError("training_data contains NaN or infinite inputs")
        return rows, self._targets(y, len(rows), "training_data targets")

    def _labelled(self, data: Dataset, what: str) -> tuple[Array, NDArray[np.int64]]:
        """Labelled data as (X, labels): inputs (n, 784) and integer labels (n,)."""
        X, y = _split_dataset(data, what)
        rows = self._rows(X, f"{what} inputs")
        if y.ndim == 2 and y.shape[1] == self.sizes[-1]:
            labels = y.argmax(axis=1).astype(np.int64)
        else:
            labels = self._labels(y, len(rows), f"{what} labels")
        return rows, labels

    def _labels(self, y: NDArray[Any], n: int, what: str) -> NDArray[np.int64]:
        """Validate integer labels: shape (n,), values 0 … n_out − 1."""
        labels = np.asarray(y).reshape(-1) if y.size == n else np.asarray(y)
        if labels.shape != (n,):
            raise ValueError(f"{what}: expected {n} labels, got shape {y.shape}")
        if not np.issubdtype(labels.dtype, np.integer) and not np.all(np.mod(labels, 1) == 0):
            raise ValueError(f"{what}: labels must be integers")
        labels = labels.astype(np.int64)
        if n and (labels.min() < 0 or labels.max() >= self.sizes[-1]):
            raise ValueError(f"{what}: labels must lie in 0 … {self.sizes[-1] - 1}")
        return labels

    def _targets(self, y: NDArray[Any], n: int, what: str) -> Array:
        """Target rows (n, n_out) in the network's dtype, from labels or from targets."""
        n_out = self.sizes[-1]
        if y.ndim == 2 and y.shape == (n, n_out):
            return np.ascontiguousarray(y, dtype=self.dtype)
        labels = self._labels(y, n, what)
        return np.eye(n_out, dtype=self.dtype)[labels]


def _split_dataset(data: Dataset, what: str) -> tuple[NDArray[Any], NDArray[Any]]:
    """Return (inputs, labels-or-targets) from any accepted data form, inputs one per row."""
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], np.ndarray):
        X, y = np.asarray(data[0]), np.asarray(data[1])
    elif hasattr(data, "images") and hasattr(data, "labels"):
        X, y = np.asarray(data.images), np.asarray(data.labels)
    else:
        pairs = list(data)
        if not pairs:
            raise ValueError(f"{what} is empty")
        X = np.stack([np.asarray(x).reshape(-1) for x, _ in pairs])
        targets = [np.asarray(t) for _, t in pairs]
        if targets[0].size > 1:
            y = np.stack([t.reshape(-1) for t in targets])
        else:
            y = np.array([t.reshape(()) for t in targets])
    if len(X) == 0:
        raise ValueError(f"{what} is empty")
    if X.ndim > 2:
        X = X.reshape(len(X), -1)
    if len(y) != len(X):
        raise ValueError(f"{what}: {len(X)} inputs but {len(y)} labels")
    return X, y


@dataclass
class _TrainingState:
    """What one train() call keeps between mini-batches: gradients, optimizer, buffers, guard."""

    params: list[Array]  # w¹, b¹, w², b², … (the network's own arrays, updated in place)
    grad_w: list[Array]
    grad_b: list[Array]
    grads: list[Array]  # grad_w and grad_b interleaved like params
    optimizer: Optimizer
    guard: _DivergenceGuard
    workspaces: dict[int, _Workspace]

    @classmethod
    def create(
        cls,
        network: NeuralNetwork,
        optimizer: str,
        momentum: float,
        beta1: float,
        beta2: float,
        l2: float,
    ) -> _TrainingState:
        pairs = zip(network.weights, network.biases, strict=True)
        params = [p for pair in pairs for p in pair]
        grad_w = [np.empty_like(w) for w in network.weights]
        grad_b = [np.empty_like(b) for b in network.biases]
        return cls(
            params=params,
            grad_w=grad_w,
            grad_b=grad_b,
            grads=[g for pair in zip(grad_w, grad_b, strict=True) for g in pair],
            optimizer=make_optimizer(
                optimizer, params, momentum=momentum, beta1=beta1, beta2=beta2
            ),
            guard=_DivergenceGuard(network, params, optimizer, l2),
            workspaces={},
        )

    def workspace(self, network: NeuralNetwork, rows: int) -> _Workspace:
        """Buffers for a batch of ``rows`` samples (at most two sizes: full and the remainder)."""
        ws = self.workspaces.get(rows)
        if ws is None:
            ws = self.workspaces[rows] = _Workspace.create(network.sizes, rows, network.dtype)
        return ws


class _DivergenceGuard:
    """Stops training that has diverged, restores the last good parameters, explains why.

    Two failure modes are checked on every mini-batch, for the price of a few comparisons:

    * the loss is NaN or infinite (the weights have blown up);
    * the network is dead: after a too-large step, ReLU units can all end up outputting 0 for
      every input (or sigmoid / tanh units saturate), and then no error ever reaches the first
      layer again, ∂C/∂b¹ = Σ_rows Δ¹ is exactly 0, while the loss stays where it is. A run of
      :data:`STALL_PATIENCE` such batches with a mean loss above :data:`STALL_MIN_LOSS` (so not
      a network that fits its data perfectly) is a dead network.

    The parameters are snapshotted at the start of every epoch (a cheap copy, once per epoch)
    while they are known to be good, and restored before raising.
    """

    def __init__(
        self, network: NeuralNetwork, params: list[Array], optimizer: str, l2: float
    ) -> None:
        self.network, self.params, self.optimizer, self.l2 = network, params, optimizer, l2
        self.snapshot: list[Array] = []
        self.snapshot_epoch = self.epoch = 0
        self.rate = 0.0
        self.silent = 0  # consecutive batches without a gradient reaching layer 1
        self.silent_loss = 0.0  # their summed mean loss
        self.peak_loss = 0.0

    def start_epoch(self, epoch: int, rate: float) -> None:
        """Remember the parameters as good, unless the network has gone silent already."""
        self.epoch, self.rate = epoch, rate
        if self.silent == 0:
            self.snapshot = [p.copy() for p in self.params]
            self.snapshot_epoch = epoch

    def check_batch(self, batch: int, loss: float, first_bias_gradient: Array) -> None:
        """Check one batch's mean loss (before its update) and its layer-1 bias gradient."""
        if not math.isfinite(loss):
            self._fail(batch, f"the loss became {'NaN' if math.isnan(loss) else 'infinite'}")
        self.peak_loss = max(self.peak_loss, loss)
        if first_bias_gradient.any():
            self.silent, self.silent_loss = 0, 0.0
            return
        self.silent += 1
        self.silent_loss += loss
        stuck_at = self.silent_loss / self.silent
        if self.silent >= STALL_PATIENCE and stuck_at >= STALL_MIN_LOSS:
            self._fail(
                batch,
                f"the network stopped learning: for the last {self.silent} mini-batches no "
                f"gradient reached the first layer while the loss stayed at {stuck_at:.3g} (it "
                f"peaked at {self.peak_loss:.3g}), so its {self.network.activation} units are "
                f"dead or saturated for every input; a learning rate that is too high throws "
                f"the weights this far off in the first steps",
            )

    def check_parameters(self) -> None:
        """At the end of an epoch: the last update was not followed by a loss check."""
        if not all(np.isfinite(p).all() for p in self.params):
            self._fail(None, "the parameters became NaN or infinite")

    def _fail(self, batch: int | None, problem: str) -> NoReturn:
        _restore(self.params, self.snapshot)
        where = f"at epoch {self.epoch}, batch {batch}" if batch else f"in epoch {self.epoch}"
        network, rate = self.network, self.rate
        model = f"{network.activation} + {network.output}/{network.cost}"
        if self.epoch == 1 and batch == 1:
            cause = (
                "The initial parameters already give a non-finite loss, before any update: "
                "check that the weights are finite and of a sensible scale"
            )
        elif self.l2 * rate >= 1.0:
            cause = (
                f"The weight decay l2 × learning rate = {self.l2 * rate:g} is ≥ 1, which makes "
                f"the weights oscillate and grow; use a smaller l2 (e.g. {self.l2 / 100:g})"
            )
        else:
            if self.optimizer == "adam":
                # Adam's step size is about the learning rate itself, whatever the gradient's
                # scale, so the useful range is fixed: ~1e-3, not a tenth of a rate that blew up.
                fix = (
                    f"try a learning rate of {min(rate / 10, 0.001):g} (adam works best near 0.001)"
                )
            else:
                fix = (
                    f"try a learning rate of {rate / 10:g} or lower, "
                    "or the adam optimizer with a learning rate of about 0.001"
                )
            cause = (
                f"The learning rate {rate:g} is probably too high for {model} with "
                f"{self.optimizer}; {fix}"
            )
        raise TrainingDiverged(
            f"training diverged {where}: {problem}. {cause}. The parameters were "
            f"restored to their values at the start of epoch {self.snapshot_epoch}.",
            epoch=self.epoch,
            batch=batch,
            learning_rate=rate,
        )


def _limit_blas_threads() -> contextlib.AbstractContextManager[object]:
    """Cap the BLAS thread pool at :data:`TRAINING_BLAS_THREADS` (when threadpoolctl is there)."""
    if TRAINING_BLAS_THREADS is None:
        return contextlib.nullcontext()
    try:
        threadpoolctl = importlib.import_module("threadpoolctl")
    except ImportError:
        return contextlib.nullcontext()
    limits: contextlib.AbstractContextManager[object] = threadpoolctl.threadpool_limits(
        limits=TRAINING_BLAS_THREADS, user_api="blas"
    )
    return limits


def _restore(params: list[Array], saved: list[Array]) -> None:
    for p, s in zip(params, saved, strict=True):
        p[...] = s


def _check_sizes(sizes: Sequence[int]) -> list[int]:
    checked = [int(n) for n in sizes]
    if len(checked) < 2:
        raise ValueError(f"sizes needs at least an input and an output layer, got {list(sizes)}")
    if any(n < 1 or n != s for n, s in zip(checked, sizes, strict=True)):
        raise ValueError(f"sizes must be positive integers, got {list(sizes)}")
    return checked


def _check_dtype(dtype: DTypeLike) -> np.dtype[Any]:
    resolved = np.dtype(dtype)
    if resolved.name not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    return resolved


def _check_functions(activation: str, output: str, cost: str) -> None:
    for what, name, allowed in (
        ("activation", activation, ACTIVATIONS),
        ("output", output, OUTPUTS),
        ("cost", cost, COSTS),
    ):
        if name not in allowed:
            raise ValueError(f"unknown {what} {name!r}; choose one of {', '.join(allowed)}")


def _check_training_arguments(
    epochs: int, mini_batch_size: int, learning_rate: float, l2: float, optimizer: str
) -> None:
    if epochs < 0:
        raise ValueError(f"epochs must be ≥ 0, got {epochs}")
    if mini_batch_size < 1:
        raise ValueError(f"mini_batch_size must be ≥ 1, got {mini_batch_size}")
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate}")
    if not (math.isfinite(l2) and l2 >= 0):
        raise ValueError(f"l2 must be ≥ 0, got {l2}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
