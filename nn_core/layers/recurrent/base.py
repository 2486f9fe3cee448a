"""What the recurrent layers share: the loop over time, backpropagation through time, weights.

Notation
--------
One sample is a sequence x₁ … x_T of F features each (a digit: T = 28 rows of F = 28 pixels);
the layer has H units and carries a hidden state hₜ (H numbers) from step to step, starting
from h₀ = 0. At every step it computes G "gate" pre-activations at once (G = 1 for the simple
RNN, 3 for the GRU, 4 for the LSTM),

    aₜ = xₜ W + hₜ₋₁ U + b          W: F × G·H,  U: H × G·H,  b: G·H

and turns them into the next state with the layer's own nonlinearities (see each layer). The
same W, U, b serve every step (weight sharing through time, as a kernel is shared over space).

Batches, one GEMM per step
--------------------------
For a batch X (n, T, F) the input part of every step does not depend on the state, so it is
computed for all steps before the loop as one matrix product of the (n·T) × F rows with W:
A = X W + b, shape (n, T, G·H). The loop then adds the recurrent part, one GEMM per step for
all gates of all samples, Aₜ += Hₜ₋₁ U, and applies the gates' nonlinearities.

Parameters as stored: one ``weight`` matrix of shape (F + H) × G·H — W on top of U, so that
[xₜ, hₜ₋₁] · weight = xₜ W + hₜ₋₁ U — and one ``bias`` vector. W and U are row blocks of it
(views, updated in place by the optimizer), gates side by side in column blocks of H. Two arrays
per layer, like the dense and conv layers, so model files and optimizers take them as they are.

Backpropagation through time
----------------------------
Unrolled over its T steps the layer is a deep network of T layers sharing W, U, b. Let
δhₜ = ∂C/∂hₜ, the *total* error on the state at step t: what arrives from above for that step
(from the layer above when every state is returned, only for t = T otherwise) plus what flows
back from step t + 1 through hₜ's use there. Going backwards, t = T … 1, each layer's step
backward turns δhₜ into δaₜ = ∂C/∂aₜ (its own gate equations, see the layers), and then

    δhₜ₋₁ += δaₜ Uᵀ                 (the error carried one step back: one GEMM per step)
    ∂C/∂U  += hₜ₋₁ᵀ δaₜ              (one GEMM per step, skipped at t = 1 where h₀ = 0)

and after the loop, for all steps at once (one GEMM each, like a dense layer's BP4 and BP2):

    ∂C/∂W = Xᵀ δA,   ∂C/∂b = Σ_rows δA,   ∂C/∂X = δA Wᵀ        (X, δA as (n·T)-row matrices)

Why gradients vanish (and explode)
----------------------------------
For the simple RNN hₜ = tanh(aₜ), so ∂hₜ/∂hₜ₋₁ = diag(1 − hₜ²) Uᵀ (as a Jacobian acting on
column vectors), and the error from step T reaches step k through the product

    δhₖ = [∏_{t=k+1..T} diag(1 − hₜ²) Uᵀ]ᵀ δh_T .

Every factor diag(1 − hₜ²) has entries ≤ 1 (much less where units saturate), so unless U's
largest singular value is above 1 the product shrinks geometrically with T − k: the first rows of
a digit get almost no gradient and the network cannot learn long-range dependencies (Bengio et
al., 1994; Pascanu et al., 2013). If U's singular values are above 1 the product can instead
grow geometrically: exploding gradients, which gradient-norm clipping (:mod:`nn_core.clipping`)
cuts back. An orthogonal U (all singular values 1) starts the product at the edge of the two,
which is why the recurrent matrices are initialised orthogonal (identity for the ReLU RNN, Le et
al., 2015). The LSTM's cell state adds a path δcₜ₋₁ = δcₜ ⊙ fₜ with no matrix and no squashing:
while the forget gate stays near 1 the error passes back unchanged (see :mod:`.lstm`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from nn_core.arrays import Array
from nn_core.initialization import init_std, standard_normal
from nn_core.layers.base import Layer, Shape

Alloc = Callable[[str, Shape], Array]
"""Where the forward pass keeps its arrays: the layer's training buffers, or fresh arrays."""

INFERENCE_CHUNK_FLOATS = 1 << 22
"""At inference the batch goes through in chunks whose gate array A (n·T·G·H numbers) stays
under 16 MB, so that 10,000 validation images do not need gigabytes."""


@dataclass(frozen=True)
class RecurrentTrace:
    """What a recurrent layer computed at every step for one input (for visualizations).

    Attributes:
        hidden: The hidden state after each step, hₜ, shape (T, H).
        gates: Gate activations after each step by name (LSTM: i, f, g, o; GRU: r, z, n),
            each (T, H); empty for the simple RNN.
        cell: The LSTM's cell state cₜ, (T, H); None for the other layers.
    """

    hidden: Array
    gates: dict[str, Array] = field(default_factory=dict)
    cell: Array | None = None


def orthogonal(rng: np.random.Generator, size: int, dtype: np.dtype[Any]) -> Array:
    """A random orthogonal size × size matrix (QR of a Gaussian one, signs fixed: Haar-uniform)."""
    gaussian = standard_normal(rng, (size, size), np.dtype(np.float64))
    q, r = np.linalg.qr(gaussian)
    q *= np.sign(np.diag(r))
    result: Array = q.astype(dtype)
    return result


def sigmoid_(a: Array) -> Array:
    """σ(a) in place, as (1 + tanh(a/2))/2: no overflow for any a, one transcendental call."""
    a *= 0.5
    np.tanh(a, out=a)
    a += 1.0
    a *= 0.5
    return a


class Recurrent(Layer):
    """Base of :class:`SimpleRNN`, :class:`LSTM` and :class:`GRU` (input: (n, steps, features)).

    Args:
        units: H, the size of the hidden state.
        return_sequences: Output every state, (n, T, H), instead of only the last, (n, H).

    Attributes:
        record_state_gradients: When True, :meth:`backward` keeps ‖δhₜ‖ (over the batch) for
            every step in :attr:`state_gradient_norms`, to show gradients vanishing.
    """

    gates: ClassVar[int] = 1
    gate_names: ClassVar[tuple[str, ...]] = ()
    input_rule: str = "tanh"
    """The initialisation rule for W (:func:`nn_core.initialization.init_std`)."""

    def __init__(self, units: int, return_sequences: bool = False) -> None:
        super().__init__()
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError(f"{self.kind}: units must be an integer ≥ 1, got {units!r}")
        self.units = units
        self.return_sequences = bool(return_sequences)
        self.record_state_gradients = False
        self.state_gradient_norms: Array | None = None
        self._x: Array | None = None
        self._saved: dict[str, Array] = {}

    # ----------------------------------------------------------------------------------------
    # Parameters
    # ----------------------------------------------------------------------------------------

    def _build(
        self, input_shape: Shape, rng: np.random.Generator, dtype: np.dtype[Any], init: str
    ) -> Shape:
        # ``init`` (the activation after the layer) does not apply: the layer's nonlinearities
        # are its own, and they choose the rule for W.
        if len(input_shape) != 2:
            raise ValueError(
                f"{self.kind} needs sequences (steps, features), got samples of shape "
                f"{input_shape} (put a sequence layer before it)"
            )
        steps, features = input_shape
        units, width = self.units, self.gates * self.units
        weight = np.empty((features + units, width), dtype=dtype)
        # W: each gate's block has fan-in F and fan-out H.
        weight[:features] = standard_normal(rng, (features, width), dtype)
        weight[:features] *= init_std(self.input_rule, features, units)
        for gate in range(self.gates):
            weight[features:, gate * units : (gate + 1) * units] = self._recurrent_block(rng, dtype)
        self.weight: Array = weight
        self.bias: Array = self._initial_bias(dtype)
        self.params = [self.weight, self.bias]
        self.decayed = (0,)
        return (steps, units) if self.return_sequences else (units,)

    def _recurrent_block(self, rng: np.random.Generator, dtype: np.dtype[Any]) -> Array:
        """One gate's H × H block of U: orthogonal (singular values 1, see the module docs)."""
        return orthogonal(rng, self.units, dtype)

    def _initial_bias(self, dtype: np.dtype[Any]) -> Array:
        return np.zeros(self.gates * self.units, dtype=dtype)

    def set_parameters(self, *arrays: Array) -> None:
        """Replace ``weight`` ((F + H) × G·H, W over U) and ``bias``."""
        weight, bias = arrays
        self.weight, self.bias = weight, bias
        self.params = [weight, bias]
        self.grads = [np.zeros_like(weight), np.zeros_like(bias)]

    @property
    def features(self) -> int:
        """F, the features per step."""
        return self.input_shape[1]

    @property
    def steps(self) -> int:
        """T, the steps per sample."""
        return self.input_shape[0]

    @property
    def input_weight(self) -> Array:
        """W, F × G·H (a view into ``weight``)."""
        return self.weight[: self.features]

    @property
    def recurrent_weight(self) -> Array:
        """U, H × G·H (a view into ``weight``)."""
        return self.weight[self.features :]

    # ----------------------------------------------------------------------------------------
    # Forward
    # ----------------------------------------------------------------------------------------

    def _step(
        self,
        t: int,
        a: Array,
        hu: Array | None,
        h_prev: Array | None,
        h: Array,
        keep: dict[str, Array],
    ) -> None:
        """Turn the gates' pre-activations into the gates (in place in ``a``) and hₜ (into h).

        ``a`` holds the input part xₜW + b (n × G·H) and ``hu`` the recurrent part hₜ₋₁U; both
        ``hu`` and ``h_prev`` are None at the first step (h₀ = 0). ``keep`` holds the layer's
        own per-step arrays (from :meth:`_extra`), which backward reads.
        """
        raise NotImplementedError

    def _extra(self) -> tuple[str, ...]:
        """Names of the (n, T, H) arrays the layer keeps besides the gates and states."""
        return ()

    def _scan(self, x: Array, alloc: Alloc) -> dict[str, Array]:
        """The forward pass over time; return the arrays it filled (gates "a", states "h")."""
        n, steps, features = x.shape
        units, width = self.units, self.gates * self.units
        a = alloc("a", (n, steps, width))
        # The input part of every step as one GEMM over the n·T rows, bias included.
        np.matmul(x.reshape(n * steps, features), self.input_weight, out=a.reshape(-1, width))
        a += self.bias[:width]
        h = alloc("h", (n, steps, units))
        keep = {name: alloc(name, (n, steps, units)) for name in self._extra()}
        keep["a"], keep["h"] = a, h
        recurrent = self.recurrent_weight
        hu = alloc("hu", (n, width))
        h_prev: Array | None = None
        for t in range(steps):
            # hₜ₋₁ U for all gates of all samples: the one GEMM of the step.
            product = None if h_prev is None else np.matmul(h_prev, recurrent, out=hu)
            self._step(t, a[:, t], product, h_prev, h[:, t], keep)
            h_prev = h[:, t]
        return keep

    def forward(self, x: Array, training: bool = False) -> Array:
        """The states: (n, T, H) with ``return_sequences``, else the last one (n, H)."""
        if training:
            self._x = x
            self._saved = self._scan(x, self._buffer)
            h = self._saved["h"]
            return h if self.return_sequences else h[:, -1]
        per_sample = self.steps * self.gates * self.units
        chunk = max(1, INFERENCE_CHUNK_FLOATS // per_sample)
        parts = []
        for start in range(0, len(x), chunk):
            h = self._scan(x[start : start + chunk], self._fresh)["h"]
            parts.append(h if self.return_sequences else h[:, -1])
        if len(parts) == 1:
            return np.ascontiguousarray(parts[0])
        return np.concatenate(parts)

    def _fresh(self, name: str, shape: Shape) -> Array:
        return np.empty(shape, dtype=self.dtype)

    def trace(self, x: Array) -> RecurrentTrace:
        """The state (and the gates) at every step for one input, (T, F) or (1, T, F).

        Runs the inference pass on fresh arrays: the training buffers are left alone.
        """
        sample = np.asarray(x, dtype=self.dtype).reshape((1, self.steps, self.features))
        kept = self._scan(sample, self._fresh)
        units = self.units
        gates = {
            name: np.ascontiguousarray(kept["a"][0, :, k * units : (k + 1) * units])
            for k, name in enumerate(self.gate_names)
        }
        cell = kept["c"][0].copy() if "c" in kept else None
        return RecurrentTrace(hidden=kept["h"][0].copy(), gates=gates, cell=cell)

    # ----------------------------------------------------------------------------------------
    # Backward
    # ----------------------------------------------------------------------------------------

    def _begin_backward(self, n: int) -> None:
        """Reset any error the layer carries through time besides δh (the LSTM's δc)."""

    def _step_backward(
        self, t: int, dh: Array, da: Array, h_prev: Array | None
    ) -> tuple[Array, Array | None]:
        """Turn δhₜ into δaₜ (written to ``da``, the input side).

        Returns:
            (δ of hₜ₋₁U: the recurrent side, usually ``da`` itself; the part of δhₜ₋₁ that does
            not go through U, or None).
        """
        raise NotImplementedError

    def backward(self, delta: Array, need_input_gradient: bool = True) -> Array | None:
        """Backpropagation through time (see the module docstring); return ∂C/∂X (n, T, F)."""
        x = self._x
        assert x is not None, "backward() before forward(training=True)"
        n, steps, features = x.shape
        units, width = self.units, self.gates * self.units
        h = self._saved["h"]
        recurrent = self.recurrent_weight
        d_a = self._buffer("da", (n, steps, width))
        dh = self._buffer("dh", (n, units))
        carried = self._buffer("dh_carried", (n, units))
        product = self._buffer("dU_step", (units, width))
        d_recurrent = self.grads[0][features:]
        d_recurrent.fill(0.0)
        self._begin_backward(n)
        norms = np.zeros(steps) if self.record_state_gradients else None
        if self.return_sequences:
            dh.fill(0.0)
        else:
            dh[...] = delta
        for t in range(steps - 1, -1, -1):
            if self.return_sequences:
                dh += delta[:, t]
            if norms is not None:
                norms[t] = float(np.linalg.norm(dh))
            h_prev = h[:, t - 1] if t else None
            d_s, direct = self._step_backward(t, dh, d_a[:, t], h_prev)
            if h_prev is None:
                break
            d_recurrent += np.matmul(h_prev.T, d_s, out=product)
            np.matmul(d_s, recurrent.T, out=carried)
            if direct is not None:
                carried += direct
            dh, carried = carried, dh
        self.state_gradient_norms = norms
        flat = d_a.reshape(n * steps, width)
        np.matmul(x.reshape(n * steps, features).T, flat, out=self.grads[0][:features])
        flat.sum(axis=0, out=self.grads[1][:width])
        if not need_input_gradient:
            return None
        dx = np.matmul(flat, self.input_weight.T, out=self._buffer("dx", (n * steps, features)))
        return dx.reshape(n, steps, features)

    # ----------------------------------------------------------------------------------------

    def spec(self) -> dict[str, Any]:
        """``{"type": kind, "units": H, "return_sequences": bool}``."""
        return {"type": self.kind, "units": self.units, "return_sequences": self.return_sequences}

    def clear_buffers(self) -> None:
        """Drop the training buffers and what the last training pass kept."""
        super().clear_buffers()
        self._x = None
        self._saved = {}
