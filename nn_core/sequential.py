"""A network as a sequence of layers: forward, backpropagation, prediction, training.

``Sequential(specs, input_shape=[1, 28, 28])`` chains layers (:mod:`nn_core.layers`) — dense,
convolution, pooling, flatten, dropout, activations — and ends in an output activation paired
with a cost (softmax / cross-entropy by default). :class:`nn_core.network.NeuralNetwork` is the
fully connected special case, built from ``sizes``.

Forward and backward
--------------------
A batch X (one sample per row, as every data loader stores it) is reshaped to the first layer's
input (images channels-last) and passed through the layers, aᵏ = fᵏ(aᵏ⁻¹); the last layer's output
Z are the logits, and the output activation gives A = softmax(Z) (or sigmoid). Backpropagation
starts from the output error of the batch's *mean* cost, Δ = ∂C/∂Z = (A − Y)/m for cross-entropy
(BP1, see :mod:`nn_core.costs`), and runs the layers in reverse: each fills the gradients of its
own parameters and hands ∂C/∂(its input) to the layer below (see :mod:`nn_core.layers.base`).
The first layer with parameters does not compute the gradient for its input (nothing uses it).

Learning-rate convention, L2 and divergence are those of :mod:`nn_core.network` and
:mod:`nn_core.training_loop`; L2 decays the weights and kernels, never the biases.

Around the network, one module per job: the layers are chained by :mod:`nn_core.layers.stack`,
inputs and labels are checked by :mod:`nn_core.data_checks`, predictions and per-layer
activations are built by :mod:`nn_core.inspection`, and the original Hippo's ``feedforward``,
``evaluate`` and ``train`` come from :mod:`nn_core.original_api`. :meth:`Sequential.fit`
trains with one :class:`~nn_core.hyperparameters.Hyperparameters` object.
"""

from __future__ import annotations

import copy as copy_module
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nn_core.activations import output_forward
from nn_core.arrays import Array
from nn_core.costs import get_cost
from nn_core.data_checks import (
    DTYPES,
    as_labels,
    as_rows,
    as_targets,
    check_dtype,
    check_not_empty,
    check_output_and_cost,
    labelled_arrays,
    training_arrays,
)
from nn_core.datasets import Dataset
from nn_core.hyperparameters import Hyperparameters
from nn_core.inspection import (
    LayerActivations,
    Prediction,
    layer_activations,
    prediction_from_outputs,
)
from nn_core.layers import Conv2D, Layer
from nn_core.layers.stack import build_stack
from nn_core.original_api import OriginalHippoApi
from nn_core.training_loop import Augment, EpochReport, LoopState
from nn_core.training_loop import train as run_training

EVAL_CHUNK = 8192
"""Rows per forward pass when evaluating large arrays (bounds the memory of the activations)."""

EVAL_CHUNK_FLOATS = 1 << 20
"""Floats (4 MB of float32) one convolution may unroll per evaluation chunk.

Convolutions unroll every window (im2col); chunks are cut so that this stays under 4 MB, which
keeps it in cache (measured in docs/TRAINING.md: several times faster than 64 MB chunks)."""


class Sequential(OriginalHippoApi):
    """Layers in a chain, ending in logits, an output activation and a cost.

    Args:
        layers: Layer specs (dicts, see :mod:`nn_core.layers.specs`) or unbuilt layers.
        input_shape: One sample's shape: ``[784]`` for vectors, ``[channels, height, width]``
            for images (inputs still arrive as flat rows; a row is reshaped to height × width ×
            channels).
        output: "softmax" or "sigmoid".
        cost: "cross_entropy" or "quadratic".
        seed: Seeds the generator that draws the initial parameters (layer by layer, in
            order), shuffles the training data and draws dropout masks and augmentations.
        dtype: "float32" (default) or "float64".

    Raises:
        ValueError: A spec is invalid, or the layers do not fit together (the message names
            the layer).
    """

    def __init__(
        self,
        layers: Sequence[Mapping[str, Any] | Layer],
        input_shape: Sequence[int],
        output: str = "softmax",
        cost: str = "cross_entropy",
        seed: int | None = None,
        dtype: str = "float32",
    ) -> None:
        check_output_and_cost(output, cost)
        self.dtype = check_dtype(dtype)
        self.output, self.cost = output, cost
        self.rng = np.random.default_rng(seed)
        stack = build_stack(layers, input_shape, self.rng, self.dtype)
        self.layers: list[Layer] = stack.layers
        self.input_shape = stack.input_shape
        self._sample_shape = stack.sample_shape
        self.activation = stack.activation
        self.sizes: list[int] = stack.sizes
        self._first_parameter_index = stack.first_parameter_index
        self._buffers: dict[tuple[str, tuple[int, ...]], Array] = {}

    # ----------------------------------------------------------------------------------------
    # Structure
    # ----------------------------------------------------------------------------------------

    @property
    def parameter_layers(self) -> list[Layer]:
        """The layers with parameters, in order (index l is ``layers.{l}.*`` in model files)."""
        return [layer for layer in self.layers if layer.params]

    @property
    def weights(self) -> list[Array]:
        """The weights of each layer with parameters: (out, in) matrices, (F, C, kh, kw) kernels.

        These are the layers' own arrays: changing them in place changes the network.
        """
        return [layer.params[0] for layer in self.parameter_layers]

    @weights.setter
    def weights(self, values: Sequence[Array]) -> None:
        for layer, weight in zip(self.parameter_layers, values, strict=True):
            layer.set_parameters(weight, layer.params[1])

    @property
    def biases(self) -> list[Array]:
        """The biases of each layer with parameters (the layers' own arrays)."""
        return [layer.params[1] for layer in self.parameter_layers]

    @biases.setter
    def biases(self, values: Sequence[Array]) -> None:
        for layer, bias in zip(self.parameter_layers, values, strict=True):
            layer.set_parameters(layer.params[0], bias)

    def parameters(self) -> list[Array]:
        """Every parameter array, layer by layer (the arrays themselves, updated in place)."""
        return [p for layer in self.layers for p in layer.params]

    def parameter_gradients(self) -> list[Array]:
        """The gradient arrays, aligned with :meth:`parameters` (filled by :meth:`backprop`)."""
        return [g for layer in self.layers for g in layer.grads]

    def first_bias_gradient(self) -> Array:
        """∂C/∂b of the first layer with parameters (zero everywhere: nothing reaches it)."""
        return self.layers[self._first_parameter_index].grads[-1]

    @property
    def has_convolutions(self) -> bool:
        """Whether any layer is a convolution."""
        return any(isinstance(layer, Conv2D) for layer in self.layers)

    def specs(self) -> list[dict[str, Any]]:
        """The architecture as layer specs (JSON-ready)."""
        return [layer.spec() for layer in self.layers]

    @property
    def n_inputs(self) -> int:
        """Numbers per input sample (784 for MNIST)."""
        return self.sizes[0]

    @property
    def n_outputs(self) -> int:
        """Output units (10 for MNIST)."""
        return self.sizes[-1]

    def set_rng(self, rng: np.random.Generator) -> None:
        """Use ``rng`` for shuffling, dropout and augmentation from now on."""
        self.rng = rng
        for layer in self.layers:
            layer.set_rng(rng)

    def clear_buffers(self) -> None:
        """Free the training buffers of every layer."""
        self._buffers = {}
        for layer in self.layers:
            layer.clear_buffers()

    def __repr__(self) -> str:
        return (
            f"Sequential({self.specs()}, input_shape={list(self.input_shape)}, "
            f"output={self.output!r}, cost={self.cost!r}, dtype={self.dtype.name!r})"
        )

    def load_parameters(self, parameters: Sequence[Sequence[ArrayLike]]) -> None:
        """Replace every layer's parameters: ``parameters[l]`` for the l-th layer with any.

        Arrays are copied and converted to the network's dtype.

        Raises:
            ValueError: A count or shape differs from the architecture's, or a value is NaN or
                infinite (the message names the layer).
        """
        layers = self.parameter_layers
        if len(parameters) != len(layers):
            raise ValueError(
                f"the architecture has {len(layers)} layers with parameters, got {len(parameters)}"
            )
        checked: list[list[Array]] = []
        for index, (layer, given) in enumerate(zip(layers, parameters, strict=True)):
            names = ("weights", "biases")
            if len(given) != len(layer.params):
                raise ValueError(
                    f"layer {index}: expected {len(layer.params)} arrays, got {len(given)}"
                )
            arrays = [np.array(value, dtype=self.dtype, copy=True) for value in given]
            for name, array, current in zip(names, arrays, layer.params, strict=True):
                if array.shape != current.shape:
                    raise ValueError(
                        f"layer {index} ({layer.kind}): {name} have shape {array.shape}, "
                        f"expected {current.shape}"
                    )
                if not np.isfinite(array).all():
                    raise ValueError(f"layer {index}: parameters contain NaN or infinity")
            checked.append(arrays)
        for layer, arrays in zip(layers, checked, strict=True):
            layer.set_parameters(*arrays)

    def copy(self) -> Sequential:
        """Return an independent copy (parameters and random-generator state)."""
        twin = Sequential(
            self.specs(), self.input_shape, self.output, self.cost, dtype=self.dtype.name
        )
        twin.load_parameters([layer.params for layer in self.parameter_layers])
        twin.set_rng(copy_module.deepcopy(self.rng))
        return twin

    # ----------------------------------------------------------------------------------------
    # Forward pass
    # ----------------------------------------------------------------------------------------

    def _buffer(self, name: str, shape: tuple[int, ...]) -> Array:
        key = (name, shape)
        buffer = self._buffers.get(key)
        if buffer is None:
            buffer = self._buffers[key] = np.empty(shape, dtype=self.dtype)
        return buffer

    def _forward(self, X: Array, training: bool = False) -> tuple[Array, Array]:
        """Run rows X through the layers; return the logits Z and the outputs A."""
        x = X.reshape((len(X), *self._sample_shape))
        for layer in self.layers:
            x = layer.forward(x, training)
        out = self._buffer("a", x.shape) if training else None
        return x, output_forward(self.output, x, out=out)

    @property
    def _chunk(self) -> int:
        """Rows per evaluation chunk, so that no convolution unrolls more than 4 MB."""
        unrolled = [
            math.prod(layer.output_shape[:2]) * layer.in_channels * layer.kh * layer.kw
            for layer in self.layers
            if isinstance(layer, Conv2D)
        ]
        if not unrolled:
            return EVAL_CHUNK
        return max(1, min(EVAL_CHUNK, EVAL_CHUNK_FLOATS // max(unrolled)))

    def _output(self, X: Array) -> Array:
        """Output activations for the rows of X, computed in chunks."""
        chunk = self._chunk
        if len(X) <= chunk:
            return self._forward(X)[1]
        out = np.empty((len(X), self.n_outputs), dtype=self.dtype)
        for start in range(0, len(X), chunk):
            out[start : start + chunk] = self._forward(X[start : start + chunk])[1]
        return out

    def _rows(self, X: ArrayLike, what: str = "X") -> Array:
        """X as a C-contiguous (n, n_inputs) array in our dtype; (n_inputs,) becomes one row."""
        return as_rows(X, self.n_inputs, self.dtype, what)

    def predict(self, X: ArrayLike) -> Prediction:
        """Classify a batch (n, 784) or one sample (784,): digits and probabilities."""
        return prediction_from_outputs(self._output(self._rows(X)), self.output)

    def activations(self, x: ArrayLike) -> list[LayerActivations]:
        """Every layer's activations (and pre-activations) for one sample, input layer first.

        A layer with parameters is reported together with the activation that follows it (the
        last one with the output activation); feature maps come channels-first.

        Raises:
            ValueError: ``x`` is not exactly one sample of the input size.
        """
        n_in = self.n_inputs
        sample = np.asarray(x, dtype=self.dtype)
        if sample.size != n_in or sample.ndim > 2 or 0 in sample.shape:
            raise ValueError(
                f"x must be one sample of {n_in} values, shape ({n_in},), ({n_in}, 1) or "
                f"(1, {n_in}); got {sample.shape}"
            )
        return layer_activations(
            self.layers,
            self.output,
            sample.reshape(1, -1),
            tuple(self.input_shape),
            self._sample_shape,
        )

    def loss(self, X: ArrayLike, y: ArrayLike) -> float:
        """Return the mean cost over the samples (without any L2 term).

        Args:
            X: Inputs, shape (n, 784) or (784,).
            y: Integer labels (n,) or target rows (n, 10) (one-hot for softmax).

        Raises:
            ValueError: Malformed inputs or labels, or no samples at all.
        """
        rows = self._rows(X)
        check_not_empty(len(rows), "X")
        targets = self._targets(np.asarray(y), len(rows), "y")
        cost = get_cost(self.cost)
        total = 0.0
        chunk = self._chunk
        for start in range(0, len(rows), chunk):
            z, a = self._forward(rows[start : start + chunk])
            total += cost.total(self.output, z, a, targets[start : start + chunk])
        return total / len(rows)

    def score(self, X: Array, labels: NDArray[np.int64]) -> tuple[float, float]:
        """Accuracy (percent) and mean cost on labelled rows, in one forward pass.

        Raises:
            ValueError: No rows at all.
        """
        check_not_empty(len(X), "X")
        cost = get_cost(self.cost)
        correct = 0
        total = 0.0
        eye = np.eye(self.n_outputs, dtype=self.dtype)
        chunk = self._chunk
        for start in range(0, len(X), chunk):
            part = slice(start, start + chunk)
            z, a = self._forward(X[part])
            correct += int(np.count_nonzero(a.argmax(axis=1) == labels[part]))
            total += cost.total(self.output, z, a, eye[labels[part]])
        return 100.0 * correct / len(X), total / len(X)

    # ----------------------------------------------------------------------------------------
    # Backpropagation
    # ----------------------------------------------------------------------------------------

    def backprop(self, X: Array, Y: Array, l2: float = 0.0) -> float:
        """Fill every layer's ``grads`` with the gradient of the batch's mean cost (+ L2).

        Args:
            X: Inputs, one sample per row, in the network's dtype.
            Y: Target rows.
            l2: λ: adds λ·w to the gradient of every weight and kernel (not the biases).

        Returns:
            The batch's cost summed over its samples (before any update), for the running
            training loss and the divergence check.
        """
        z, a = self._forward(X, training=True)
        cost = get_cost(self.cost)
        total = cost.total(self.output, z, a, Y)
        # BP1, divided by m so that every layer's gradients are those of the mean cost.
        delta = cost.delta(self.output, z, a, Y, out=self._buffer("delta", z.shape))
        delta *= 1.0 / len(X)
        first = self._first_parameter_index
        for index in range(len(self.layers) - 1, first - 1, -1):
            below = self.layers[index].backward(delta, need_input_gradient=index > first)
            if below is None:
                break
            delta = below
        if l2:
            for layer in self.layers:
                for k in layer.decayed:
                    decay = np.multiply(
                        layer.params[k], l2, out=self._buffer("decay", layer.params[k].shape)
                    )
                    layer.grads[k] += decay
        return total

    def layer_gradients(self, X: ArrayLike, y: ArrayLike, l2: float = 0.0) -> list[list[Array]]:
        """The gradient of the mean cost over (X, y): one list per layer with parameters.

        Runs the code :meth:`train` runs (dropout active, as in training); for gradient checks.
        """
        rows = self._rows(X)
        targets = self._targets(np.asarray(y), len(rows), "y")
        self.backprop(rows, targets, l2)
        gradients = [[g.copy() for g in layer.grads] for layer in self.parameter_layers]
        self.clear_buffers()
        return gradients

    # ----------------------------------------------------------------------------------------
    # Training
    # ----------------------------------------------------------------------------------------

    def fit(
        self,
        training_data: Dataset,
        hyperparameters: Hyperparameters,
        *,
        validation_data: Dataset | None = None,
        augment: Augment | None = None,
        on_batch: Callable[[int, int], None] | None = None,
        on_epoch: Callable[[EpochReport], bool | None] | None = None,
        resume: LoopState | None = None,
        on_checkpoint: Callable[[LoopState], None] | None = None,
    ) -> list[EpochReport]:
        """Train with the options of one hyperparameter object (what :meth:`train` builds).

        The architecture fields, ``seed`` and ``limit_train`` are not used here: the network is
        built already, and the caller chooses the data. The training options are validated
        first (:meth:`~nn_core.hyperparameters.Hyperparameters.validate_training`).

        Args:
            training_data: As for :meth:`train`.
            hyperparameters: Epochs, mini-batch size, learning rate, optimizer and its
                coefficients, L2 and schedule.
            validation_data: Evaluated after each epoch for the report's accuracy and loss.
            augment: Applied to every mini-batch's inputs before its gradient step.
            on_batch: Called after every mini-batch with (batches done, batches in the epoch).
            on_epoch: Called after every epoch with its :class:`EpochReport`; returning False
                stops training.
            resume: Continue from a saved loop state; the network must hold the parameters
                saved with it (:class:`~nn_core.training_loop.LoopState`).
            on_checkpoint: Called after every epoch with the loop's state, to save it.

        Returns:
            One :class:`EpochReport` per completed epoch.

        Raises:
            TrainingDiverged: As for :meth:`train`.
            ValueError: An option is out of range (a
                :class:`~nn_core.hyperparameters.HyperparameterError` naming the field) or the
                data are malformed.
        """
        hyperparameters.validate_training()
        X, Y = self._training_arrays(training_data)
        eval_set = (
            self._labelled(validation_data, "validation_data")
            if validation_data is not None
            else None
        )
        # Parameters are updated in place: make sure they are writable arrays of our dtype.
        for layer in self.parameter_layers:
            arrays = [np.require(p, self.dtype, ["C", "W", "O"]) for p in layer.params]
            if any(a is not p for a, p in zip(arrays, layer.params, strict=True)):
                layer.set_parameters(*arrays)
        return run_training(
            self,
            X,
            Y,
            hyperparameters,
            augment,
            eval_set,
            on_batch,
            on_epoch,
            resume=resume,
            on_checkpoint=on_checkpoint,
        )

    # ----------------------------------------------------------------------------------------
    # Data in the original Hippo's and in array form
    # ----------------------------------------------------------------------------------------

    def _training_arrays(self, data: Dataset) -> tuple[Array, Array]:
        """Training data as (X, Y): inputs (n, 784) and target rows (n, 10), network dtype."""
        return training_arrays(data, self.n_inputs, self.n_outputs, self.dtype)

    def _labelled(self, data: Dataset, what: str) -> tuple[Array, NDArray[np.int64]]:
        """Labelled data as (X, labels): inputs (n, 784) and integer labels (n,)."""
        return labelled_arrays(data, what, self.n_inputs, self.n_outputs, self.dtype)

    def _labels(self, y: NDArray[Any], n: int, what: str) -> NDArray[np.int64]:
        """Validate integer labels: shape (n,), values 0 … n_out − 1."""
        return as_labels(y, n, self.n_outputs, what)

    def _targets(self, y: NDArray[Any], n: int, what: str) -> Array:
        """Target rows (n, n_out) in the network's dtype, from labels or from targets."""
        return as_targets(y, n, self.n_outputs, self.dtype, what)


__all__ = [
    "DTYPES",
    "EVAL_CHUNK",
    "LayerActivations",
    "Prediction",
    "Sequential",
    "check_dtype",
    "check_output_and_cost",
]
