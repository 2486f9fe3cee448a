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
"""

from __future__ import annotations

import copy as copy_module
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from nn_core.activations import OUTPUTS, output_forward
from nn_core.costs import COSTS, get_cost
from nn_core.datasets import Dataset, split_dataset
from nn_core.layers import ActivationLayer, Conv2D, Layer, layer_from_spec
from nn_core.layers.base import to_display
from nn_core.schedules import check_schedule
from nn_core.training_loop import (
    Augment,
    EpochReport,
    TrainingOptions,
    check_training_arguments,
)
from nn_core.training_loop import train as run_training

Array = NDArray[np.floating]

DTYPES: tuple[str, ...] = ("float32", "float64")
"""Supported parameter dtypes."""

EVAL_CHUNK = 8192
"""Rows per forward pass when evaluating large arrays (bounds the memory of the activations)."""

EVAL_CHUNK_FLOATS = 1 << 20
"""Convolutions unroll every window (im2col): chunks are cut so that stays under 4 MB, which
keeps it in cache (measured: 1,000 images through cnn-small in 67 ms with 4 MB chunks, 168 ms
with 64 MB ones)."""


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

    A layer with parameters and the activation after it are reported together, as one layer
    (pre-activations z, activations a = σ(z)), like the neurons of a textbook figure.

    Attributes:
        index: The layer number, 0 for the input layer.
        size: Numbers in the layer's output (the product of ``shape``).
        activation: "input" for layer 0, the activation's name (the output's for the last
            layer), "max" for pooling, "identity" for flatten and dropout.
        values: The activations, flat, row-major over ``shape`` (channels first).
        pre_activations: The weighted inputs z (flat, like ``values``); None for layers that
            have none (input, pooling, flatten, dropout).
        kind: "input", "dense", "conv2d", "maxpool2d", "flatten", "dropout" or "activation".
        shape: ``[size]`` for vectors, [channels, height, width] for feature maps.
        weights_layer: The index among the layers with parameters (what
            ``/models/{name}/weights?layer=`` takes) of this layer's incoming parameters; None
            for layers without parameters.
    """

    index: int
    size: int
    activation: str
    values: Array
    pre_activations: Array | None
    kind: str = "dense"
    shape: tuple[int, ...] = field(default=())
    weights_layer: int | None = None


def check_dtype(dtype: DTypeLike) -> np.dtype[Any]:
    """The dtype, if it is one of :data:`DTYPES`; else a ValueError."""
    resolved = np.dtype(dtype)
    if resolved.name not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    return resolved


def check_output_and_cost(output: str, cost: str) -> None:
    """Refuse an unknown output activation or cost by name."""
    for what, name, allowed in (("output", output, OUTPUTS), ("cost", cost, COSTS)):
        if name not in allowed:
            raise ValueError(f"unknown {what} {name!r}; choose one of {', '.join(allowed)}")


class Sequential:
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
        if not layers:
            raise ValueError("a network needs at least one layer")
        self.layers: list[Layer] = [
            layer_from_spec(spec) if isinstance(spec, Mapping) else spec for spec in layers
        ]
        self.input_shape = _check_input_shape(input_shape)
        self._sample_shape = (
            (self.input_shape[1], self.input_shape[2], self.input_shape[0])
            if len(self.input_shape) == 3
            else self.input_shape
        )
        self.activation = next(
            (layer.function for layer in self.layers if isinstance(layer, ActivationLayer)),
            "relu",
        )
        self._buffers: dict[tuple[str, tuple[int, ...]], Array] = {}
        self._build()

    def _build(self) -> None:
        shape = self._sample_shape
        with_parameters = [
            i for i, layer in enumerate(self.layers) if layer.kind in ("dense", "conv2d")
        ]
        if not with_parameters:
            raise ValueError("a network needs at least one dense or conv2d layer")
        for index, layer in enumerate(self.layers):
            try:
                shape = layer.build(shape, self.rng, self.dtype, self._init_rule(index))
            except ValueError as exc:
                raise ValueError(f"layer {index} ({layer.kind}): {exc}") from None
            layer.set_rng(self.rng)
        if len(shape) != 1:
            raise ValueError(
                f"the last layer must give a vector of outputs, it gives {shape} (add a flatten "
                "and a dense layer)"
            )
        self._first_parameter_index = with_parameters[0]
        self.sizes: list[int] = [math.prod(self.input_shape)] + [
            math.prod(self.layers[i].output_shape) for i in with_parameters
        ]

    def _init_rule(self, index: int) -> str:
        """The activation after layer ``index`` (He for ReLU, Glorot otherwise); "output" last."""
        for layer in self.layers[index + 1 :]:
            if isinstance(layer, ActivationLayer):
                return layer.function
            if layer.kind in ("dense", "conv2d"):
                break
        return "output"

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
        """Rows per evaluation chunk, so that no convolution unrolls more than 64 MB."""
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
        rows = np.ascontiguousarray(X, dtype=self.dtype)
        if rows.ndim == 1:
            rows = rows[None, :]
        n_in = self.n_inputs
        if rows.ndim != 2 or rows.shape[1] != n_in:
            raise ValueError(f"{what} must have shape (n, {n_in}) or ({n_in},), got {np.shape(X)}")
        return rows

    def feedforward(self, a: ArrayLike) -> Array:
        """Return the network's output for ``a`` (the seed's method, extended to batches).

        Args:
            a: One sample as a column (784, 1) — the seed's form, answered with a column
                (10, 1) — or as a vector (784,) → (10,), or a batch of rows (n, 784) → (n, 10).
        """
        x = np.asarray(a, dtype=self.dtype)
        n_in = self.n_inputs
        if x.ndim == 2 and x.shape == (n_in, 1):
            column: Array = np.ascontiguousarray(self._output(x.T).T)
            return column
        out = self._output(self._rows(x, "a"))
        return out[0] if x.ndim == 1 else out

    def predict(self, X: ArrayLike) -> Prediction:
        """Classify a batch (n, 784) or one sample (784,): digits and probabilities."""
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
        row = sample.reshape(1, -1)
        input_shape = tuple(self.input_shape)
        reports = [
            LayerActivations(0, n_in, "input", row[0].copy(), None, "input", input_shape, None)
        ]
        a = row.reshape((1, *self._sample_shape))
        layers, last = self.layers, len(self.layers) - 1
        index = parameter_index = 0
        while index <= last:
            layer = layers[index]
            given = a
            z = layer.forward(a)
            pre: Array | None = None
            weights_layer: int | None = None
            if layer.params:
                pre, weights_layer = z, parameter_index
                parameter_index += 1
                follower = layers[index + 1] if index < last else None
                if isinstance(follower, ActivationLayer):
                    a, name = follower.forward(z), follower.function
                    index += 1
                elif index == last:
                    a, name = output_forward(self.output, z), self.output
                else:
                    a, name = z, "identity"
            else:
                a = z
                name = {"activation": getattr(layer, "function", ""), "maxpool2d": "max"}.get(
                    layer.kind, "identity"
                )
                if isinstance(layer, ActivationLayer):
                    pre = given
            reports.append(
                LayerActivations(
                    index=len(reports),
                    size=int(a[0].size),
                    activation=name,
                    values=to_display(a[0]).ravel(),
                    pre_activations=None if pre is None else to_display(pre[0]).ravel(),
                    kind=layer.kind,
                    shape=tuple(int(n) for n in layer.display_shape),
                    weights_layer=weights_layer,
                )
            )
            index += 1
        return reports

    def evaluate(self, test_data: Dataset) -> int:
        """Return how many samples of ``test_data`` the network classifies correctly (seed API)."""
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
        chunk = self._chunk
        for start in range(0, len(rows), chunk):
            z, a = self._forward(rows[start : start + chunk])
            total += cost.total(self.output, z, a, targets[start : start + chunk])
        return total / len(rows)

    def score(self, X: Array, labels: NDArray[np.int64]) -> tuple[float, float]:
        """Accuracy (percent) and mean cost on labelled rows, in one forward pass."""
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
        augment: Augment | None = None,
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
            learning_rate: η (the base rate when a schedule is used); see
                :mod:`nn_core.network` for the convention.
            test_data: Evaluated after each epoch (as in the seed) when no validation data is
                given; with ``verbose`` and no ``on_epoch``, its score is printed.
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
            verbose: Print the seed's "Epoch 1: 9123 / 10000" lines (only without ``on_epoch``).

        Returns:
            One :class:`EpochReport` per completed epoch.

        Raises:
            TrainingDiverged: The loss became NaN or infinite, or the network died. The
                parameters are first restored to their values at the start of that epoch.
            ValueError: An argument is out of range or the data are malformed.
        """
        check_training_arguments(epochs, mini_batch_size, learning_rate, l2, optimizer)
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
        for layer in self.parameter_layers:
            arrays = [np.require(p, self.dtype, ["C", "W", "O"]) for p in layer.params]
            if any(a is not p for a, p in zip(arrays, layer.params, strict=True)):
                layer.set_parameters(*arrays)
        options = TrainingOptions(
            epochs=epochs,
            batch_size=mini_batch_size,
            learning_rate=learning_rate,
            optimizer=optimizer,
            momentum=momentum,
            beta1=beta1,
            beta2=beta2,
            l2=l2,
            schedule=schedule,
            augment=augment,
        )

        def print_line(epoch: int) -> None:
            if verbose:
                print(self._seed_epoch_line(epoch, printed_set))

        return run_training(self, X, Y, options, eval_set, on_batch, on_epoch, print_line)

    def _seed_epoch_line(self, epoch: int, test_set: tuple[Array, NDArray[np.int64]] | None) -> str:
        """The seed's progress line: "Epoch 1: 9123 / 10000", or "Epoch 1 complete"."""
        if test_set is None:
            return f"Epoch {epoch} complete"
        X, labels = test_set
        correct = int(np.count_nonzero(self.predict(X).digits == labels))
        return f"Epoch {epoch}: {correct} / {len(labels)}"

    # ----------------------------------------------------------------------------------------
    # Data in the seed's and in array form
    # ----------------------------------------------------------------------------------------

    def _training_arrays(self, data: Dataset) -> tuple[Array, Array]:
        """Training data as (X, Y): inputs (n, 784) and target rows (n, 10), network dtype."""
        X, y = split_dataset(data, "training_data")
        rows = self._rows(X, "training_data inputs")
        # min and max propagate NaN and expose ±inf, without a temporary the size of the data.
        if not (np.isfinite(rows.min()) and np.isfinite(rows.max())):
            raise ValueError("training_data contains NaN or infinite inputs")
        return rows, self._targets(y, len(rows), "training_data targets")

    def _labelled(self, data: Dataset, what: str) -> tuple[Array, NDArray[np.int64]]:
        """Labelled data as (X, labels): inputs (n, 784) and integer labels (n,)."""
        X, y = split_dataset(data, what)
        rows = self._rows(X, f"{what} inputs")
        if y.ndim == 2 and y.shape[1] == self.n_outputs:
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
        if n and (labels.min() < 0 or labels.max() >= self.n_outputs):
            raise ValueError(f"{what}: labels must lie in 0 … {self.n_outputs - 1}")
        return labels

    def _targets(self, y: NDArray[Any], n: int, what: str) -> Array:
        """Target rows (n, n_out) in the network's dtype, from labels or from targets."""
        n_out = self.n_outputs
        if y.ndim == 2 and y.shape == (n, n_out):
            return np.ascontiguousarray(y, dtype=self.dtype)
        labels = self._labels(y, n, what)
        return np.eye(n_out, dtype=self.dtype)[labels]


def _check_input_shape(shape: Sequence[int]) -> tuple[int, ...]:
    checked = tuple(int(n) for n in shape)
    if len(checked) not in (1, 3) or any(n < 1 for n in checked):
        raise ValueError(
            f"input_shape must be [features] or [channels, height, width] of positive "
            f"integers, got {list(shape)}"
        )
    return checked
