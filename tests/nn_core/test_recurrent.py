"""The recurrent layers: their equations, backpropagation through time, specs, and learning.

Gradients are checked in float64 against central differences (the recipe of test_layers.py),
for the layers alone, both return modes, and for whole small networks ending in softmax and
cross-entropy. The forward passes are checked against the documented equations written as plain
per-sample loops.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nn_core.activations import output_forward
from nn_core.costs import get_cost
from nn_core.layers import (
    GRU,
    LSTM,
    Dense,
    Layer,
    Recurrent,
    SequenceView,
    SimpleRNN,
    describe_architecture,
    layer_from_spec,
    parse_layers,
    short_form,
)
from nn_core.layers.recurrent import base as recurrent_base
from nn_core.model_files import ModelMetadata, load_model, save_model
from nn_core.optimizers import make_optimizer
from nn_core.sequential import Sequential
from tests.nn_core.numerics import central_differences
from tests.nn_core.synthetic_data import prototypes_problem
from tests.nn_core.test_layers import assert_close, built, check_layer

FACTORIES: dict[str, Callable[[int, bool], Recurrent]] = {
    "rnn-tanh": lambda units, seq: SimpleRNN(units, seq),
    "rnn-relu": lambda units, seq: SimpleRNN(units, seq, nonlinearity="relu"),
    "lstm": lambda units, seq: LSTM(units, seq),
    "gru": lambda units, seq: GRU(units, seq),
}


def sequences(n: int, steps: int, features: int, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, steps, features))


# ------------------------------------------------------------------------------------------------
# Gradients of the layers alone
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("name", list(FACTORIES))
def test_recurrent_gradients(name: str, return_sequences: bool) -> None:
    layer = built(FACTORIES[name](5, return_sequences), (6, 3))
    check_layer(layer, sequences(3, 6, 3))


def test_the_gru_reset_bias_has_its_own_gradient() -> None:
    # bₕₙ (the last H biases) is scaled by r inside tanh, so it is not redundant with bⁿ.
    layer = GRU(4)
    built(layer, (5, 2))
    assert layer.bias.shape == (16,)
    x = sequences(2, 5, 2)
    layer.forward(x, training=True)
    layer.backward(np.ones((2, 4)))
    assert not np.allclose(layer.grads[1][12:], layer.grads[1][8:12])


def test_without_input_gradient_the_parameters_still_get_theirs() -> None:
    layer = built(LSTM(4), (5, 3))
    x = sequences(2, 5, 3)
    upstream = np.random.default_rng(0).standard_normal((2, 4))
    layer.forward(x, training=True)
    assert layer.backward(upstream.copy(), need_input_gradient=True) is not None
    full = [g.copy() for g in layer.grads]
    layer.forward(x, training=True)
    assert layer.backward(upstream.copy(), need_input_gradient=False) is None
    for a, b in zip(full, layer.grads, strict=True):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------------------------------------
# Forward passes against the equations in the docstrings
# ------------------------------------------------------------------------------------------------


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-a)))


def reference_states(layer: Recurrent, x: np.ndarray) -> np.ndarray:
    """hₜ for every sample and step, from the equations, one sample and one step at a time."""
    H, F = layer.units, layer.features
    W, U, b = layer.weight[:F], layer.weight[F:], layer.bias
    states = np.zeros((len(x), layer.steps, H))
    for s, sample in enumerate(x):
        h, c = np.zeros(H), np.zeros(H)
        for t, x_t in enumerate(sample):
            if isinstance(layer, LSTM):
                a = x_t @ W + h @ U + b
                i, f = _sigmoid(a[:H]), _sigmoid(a[H : 2 * H])
                g, o = np.tanh(a[2 * H : 3 * H]), _sigmoid(a[3 * H :])
                c = f * c + i * g
                h = o * np.tanh(c)
            elif isinstance(layer, GRU):
                xa, hu = x_t @ W + b[: 3 * H], h @ U
                r = _sigmoid(xa[:H] + hu[:H])
                z = _sigmoid(xa[H : 2 * H] + hu[H : 2 * H])
                n = np.tanh(xa[2 * H :] + r * (hu[2 * H :] + b[3 * H :]))
                h = (1 - z) * n + z * h
            else:
                assert isinstance(layer, SimpleRNN)
                a = x_t @ W + h @ U + b
                h = np.tanh(a) if layer.nonlinearity == "tanh" else np.maximum(a, 0)
            states[s, t] = h
    return states


@pytest.mark.parametrize("name", list(FACTORIES))
def test_forward_is_the_documented_recurrence(name: str) -> None:
    every = FACTORIES[name](4, True)
    built(every, (5, 3))
    x = sequences(2, 5, 3)
    expected = reference_states(every, x)
    np.testing.assert_allclose(every.forward(x), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(every.forward(x, training=True), expected, rtol=1e-12, atol=1e-12)
    last = built(FACTORIES[name](4, False), (5, 3))
    np.testing.assert_allclose(last.forward(x), expected[:, -1], rtol=1e-12, atol=1e-12)
    assert every.output_shape == (5, 4)
    assert last.output_shape == (4,)


def test_inference_in_chunks_equals_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    layer = built(GRU(4), (5, 3))
    x = sequences(7, 5, 3)
    whole = layer.forward(x)
    monkeypatch.setattr(recurrent_base, "INFERENCE_CHUNK_FLOATS", 2 * 5 * 12)  # 2 samples
    np.testing.assert_array_equal(layer.forward(x), whole)


# ------------------------------------------------------------------------------------------------
# Initialisation, dtype, determinism, buffers
# ------------------------------------------------------------------------------------------------


def _build(layer: Layer, shape: tuple[int, ...], seed: int, dtype: Any = np.float32) -> Layer:
    layer.build(shape, np.random.default_rng(seed), np.dtype(dtype), "output")
    return layer


@pytest.mark.parametrize("name", ["rnn-tanh", "lstm", "gru"])
def test_recurrent_blocks_are_orthogonal(name: str) -> None:
    layer = _build(FACTORIES[name](16, False), (28, 28), seed=0, dtype=np.float64)
    assert isinstance(layer, Recurrent)
    U = layer.recurrent_weight
    assert U.shape == (16, layer.gates * 16)
    for gate in range(layer.gates):
        block = U[:, gate * 16 : (gate + 1) * 16]
        np.testing.assert_allclose(block.T @ block, np.eye(16), atol=1e-12)
    assert layer.input_weight.shape == (28, layer.gates * 16)
    # Glorot for the input weights: Var = 2 / (F + H).
    assert abs(layer.input_weight.std() - np.sqrt(2 / (28 + 16))) < 0.03


def test_relu_rnn_starts_with_the_identity_and_he_weights() -> None:
    layer = _build(SimpleRNN(32, nonlinearity="relu"), (28, 28), seed=0)
    assert isinstance(layer, SimpleRNN)
    np.testing.assert_array_equal(layer.recurrent_weight, np.eye(32, dtype=np.float32))
    assert abs(layer.input_weight.std() - np.sqrt(2 / 28)) < 0.03


def test_lstm_forget_gate_bias_starts_at_one() -> None:
    layer = _build(LSTM(8), (4, 3), seed=0)
    assert isinstance(layer, LSTM)
    np.testing.assert_array_equal(layer.bias[8:16], np.ones(8))
    np.testing.assert_array_equal(np.delete(layer.bias, np.s_[8:16]), np.zeros(24))


@pytest.mark.parametrize("name", list(FACTORIES))
def test_float32_in_float32_out_and_gradients(name: str) -> None:
    layer = _build(FACTORIES[name](6, True), (5, 4), seed=1)
    x = sequences(3, 5, 4).astype(np.float32)
    out = layer.forward(x, training=True)
    dx = layer.backward(np.ones_like(out))
    assert dx is not None
    assert out.dtype == dx.dtype == np.float32
    for p, g in zip(layer.params, layer.grads, strict=True):
        assert p.dtype == g.dtype == np.float32
    assert layer.forward(x).dtype == np.float32


@pytest.mark.parametrize("name", list(FACTORIES))
def test_a_seed_fixes_the_parameters_and_the_outputs(name: str) -> None:
    x = sequences(3, 5, 4).astype(np.float32)
    one, two, other = (_build(FACTORIES[name](6, False), (5, 4), seed) for seed in (7, 7, 8))
    for a, b in zip(one.params, two.params, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(one.forward(x), two.forward(x))
    assert not np.array_equal(one.params[0], other.params[0])


def test_training_passes_reuse_their_buffers() -> None:
    layer = _build(LSTM(6, return_sequences=True), (5, 4), seed=1)
    x = sequences(3, 5, 4).astype(np.float32)
    first = layer.forward(x, training=True)
    dx_first = layer.backward(np.ones_like(first))
    second = layer.forward(x + 1, training=True)
    dx_second = layer.backward(np.ones_like(second))
    assert second is first  # the same arrays, refilled
    assert dx_second is not None
    assert dx_first is not None
    assert np.shares_memory(dx_first, dx_second)
    fresh = layer.forward(x)  # inference: a new array, never overwritten later
    assert not np.shares_memory(fresh, first)


def test_units_and_nonlinearity_are_checked() -> None:
    with pytest.raises(ValueError, match="units"):
        LSTM(0)
    with pytest.raises(ValueError, match="nonlinearity"):
        SimpleRNN(4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="sequence layer"):
        _build(GRU(4), (784,), seed=0)


# ------------------------------------------------------------------------------------------------
# The sequence view
# ------------------------------------------------------------------------------------------------


def test_the_sequence_view_does_not_copy_the_rows() -> None:
    rows = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    view = _build(SequenceView(), (784,), seed=0)
    steps = view.forward(rows, training=True)
    assert view.output_shape == (28, 28)
    assert steps.shape == (5, 28, 28)
    assert np.shares_memory(steps, rows)
    np.testing.assert_array_equal(steps[2, 7], rows[2, 7 * 28 : 8 * 28])  # step t = pixel row t
    delta = np.ones((5, 28, 28))
    dx = view.backward(delta)
    assert dx is not None
    assert dx.shape == (5, 784)


def test_sequential_feeds_the_lstm_a_view_of_the_callers_rows() -> None:
    network = Sequential(parse_layers("lstm8,dense10"), input_shape=[784], seed=0)
    rows = np.random.default_rng(0).random((4, 784), dtype=np.float32)
    seen: list[np.ndarray] = []
    lstm = network.layers[1]
    original = lstm.forward

    def spy(x: np.ndarray, training: bool = False) -> np.ndarray:
        seen.append(x)
        return original(x, training)

    lstm.forward = spy  # type: ignore[method-assign]
    network.backprop(rows, np.eye(10, dtype=np.float32)[:4])
    assert seen[0].shape == (4, 28, 28)
    assert np.shares_memory(seen[0], rows)


def test_sequence_view_of_feature_maps_and_explicit_steps() -> None:
    assert _build(SequenceView(), (7, 7, 4), seed=0).output_shape == (7, 28)
    assert _build(SequenceView(16), (784,), seed=0).output_shape == (16, 49)
    with pytest.raises(ValueError, match="steps"):
        _build(SequenceView(), (100 + 1,), seed=0)
    with pytest.raises(ValueError, match="split"):
        _build(SequenceView(5), (784,), seed=0)


# ------------------------------------------------------------------------------------------------
# Inspection: states and gates at every step
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "gates"), [("rnn-tanh", []), ("lstm", list("ifgo")), ("gru", list("rzn"))]
)
def test_trace_gives_every_state_and_gate(name: str, gates: list[str]) -> None:
    layer = _build(FACTORIES[name](6, False), (5, 4), seed=2, dtype=np.float64)
    x = sequences(1, 5, 4)
    assert isinstance(layer, Recurrent)
    trace = layer.trace(x[0])
    assert trace.hidden.shape == (5, 6)
    np.testing.assert_allclose(trace.hidden, reference_states(layer, x)[0], atol=1e-12)
    np.testing.assert_array_equal(trace.hidden[-1], layer.forward(x)[0])
    assert list(trace.gates) == gates
    for values in trace.gates.values():
        assert values.shape == (5, 6)
    if name == "lstm":
        assert trace.cell is not None
        assert trace.cell.shape == (5, 6)
        i, f, g, o = (trace.gates[k] for k in "ifgo")
        assert (i > 0).all()
        assert (i < 1).all()
        assert (np.abs(g) < 1).all()
        np.testing.assert_allclose(trace.hidden, o * np.tanh(trace.cell))
        np.testing.assert_allclose(trace.cell[1:], f[1:] * trace.cell[:-1] + i[1:] * g[1:])
    else:
        assert trace.cell is None


def test_trace_leaves_the_training_pass_alone() -> None:
    layer = GRU(5)
    _build(layer, (6, 3), seed=0, dtype=np.float64)
    x = sequences(4, 6, 3)
    upstream = np.random.default_rng(1).standard_normal((4, 5))
    layer.forward(x, training=True)
    layer.backward(upstream)
    expected = [g.copy() for g in layer.grads]
    layer.forward(x, training=True)
    layer.trace(sequences(1, 6, 3, seed=9)[0])  # between forward and backward
    layer.backward(upstream)
    for a, b in zip(expected, layer.grads, strict=True):
        np.testing.assert_array_equal(a, b)


def test_state_gradient_norms_vanish_faster_in_the_tanh_rnn_than_in_the_lstm() -> None:
    x = sequences(32, 28, 8, seed=4).astype(np.float32)
    norms = {}
    for name in ("rnn-tanh", "lstm"):
        layer = _build(FACTORIES[name](32, False), (28, 8), seed=5)
        assert isinstance(layer, Recurrent)
        layer.record_state_gradients = True
        out = layer.forward(x, training=True)
        delta = np.random.default_rng(6).standard_normal(out.shape).astype(np.float32)
        layer.backward(delta)
        assert layer.state_gradient_norms is not None
        assert layer.state_gradient_norms.shape == (28,)
        assert layer.state_gradient_norms[-1] == pytest.approx(np.linalg.norm(delta), rel=1e-5)
        norms[name] = layer.state_gradient_norms[0] / layer.state_gradient_norms[-1]
    assert norms["rnn-tanh"] < 1e-3  # 27 factors diag(1 − h²)Uᵀ
    assert norms["lstm"] > 10 * norms["rnn-tanh"]


# ------------------------------------------------------------------------------------------------
# Whole networks: recurrent + dense + softmax cross-entropy
# ------------------------------------------------------------------------------------------------


def chain(name: str, seq: bool, dtype: Any = np.float64, seed: int = 0) -> list[Layer]:
    """sequence view → recurrent (→ flatten) → dense 3 on 4 × 3 rows (n, 12)."""
    layers: list[Layer] = [SequenceView(4), FACTORIES[name](5, seq)]
    if seq:
        layers.append(layer_from_spec({"type": "flatten"}))
    layers.append(Dense(3))
    shape: tuple[int, ...] = (12,)
    rng = np.random.default_rng(seed)
    for layer in layers:
        shape = layer.build(shape, rng, np.dtype(dtype), "output")
    return layers


def chain_loss(layers: Sequence[Layer], X: np.ndarray, Y: np.ndarray) -> float:
    z = X
    for layer in layers:
        z = layer.forward(z)
    return get_cost("cross_entropy").total("softmax", z, output_forward("softmax", z), Y) / len(X)


def chain_backprop(layers: Sequence[Layer], X: np.ndarray, Y: np.ndarray) -> float:
    """Fill every layer's grads with ∂(mean cost)/∂θ; return the summed cost."""
    z: np.ndarray = X
    for layer in layers:
        z = layer.forward(z, training=True)
    cost = get_cost("cross_entropy")
    a = output_forward("softmax", z)
    delta: np.ndarray = cost.delta("softmax", z, a, Y) / len(X)
    for layer in reversed(layers):
        below = layer.backward(delta)
        assert below is not None
        delta = below
    return cost.total("softmax", z, a, Y)


@pytest.mark.parametrize("seq", [False, True])
@pytest.mark.parametrize("name", list(FACTORIES))
def test_whole_network_gradients(name: str, seq: bool) -> None:
    layers = chain(name, seq)
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((5, 12)), np.eye(3)[rng.integers(0, 3, 5)]
    chain_backprop(layers, X, Y)
    for layer in layers:
        for index, param in enumerate(layer.params):
            numeric = central_differences(lambda: chain_loss(layers, X, Y), param)
            assert_close(layer.grads[index], numeric, f"{layer.kind} θ{index}")


def test_sequential_backpropagates_into_the_recurrent_layer() -> None:
    network = Sequential(parse_layers("gru4,dense3"), input_shape=[16], seed=0, dtype="float64")
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((5, 16)), rng.integers(0, 3, 5)
    gradients = network.layer_gradients(X, y)
    for layer_index, layer in enumerate(network.parameter_layers):
        for index, param in enumerate(layer.params):
            numeric = central_differences(lambda: network.loss(X, y), param)
            assert_close(gradients[layer_index][index], numeric, f"{layer.kind} θ{index}")


# ------------------------------------------------------------------------------------------------
# Specs
# ------------------------------------------------------------------------------------------------


def test_short_forms_expand_with_a_sequence_view_and_no_activation() -> None:
    assert parse_layers("lstm128,dense10") == [
        {"type": "sequence"},
        {"type": "lstm", "units": 128, "return_sequences": False},
        {"type": "dense", "units": 10},
    ]
    assert parse_layers("rnn64relu,dense10")[1] == {
        "type": "rnn",
        "units": 64,
        "return_sequences": False,
        "nonlinearity": "relu",
    }
    assert [s["type"] for s in parse_layers("gru32seq,dropout0.2,gru32,dense64,dense10")] == [
        "sequence",
        "gru",
        "dropout",
        "gru",
        "dense",
        "activation",
        "dense",
    ]
    assert [s["type"] for s in parse_layers("lstm16seq,dense10")] == [
        "sequence",
        "lstm",
        "flatten",
        "dense",
    ]
    with pytest.raises(ValueError, match="lstm32seq"):
        parse_layers("lstm32,lstm32,dense10")
    with pytest.raises(ValueError, match="only rnn"):
        parse_layers("gru8relu,dense10")


@pytest.mark.parametrize(
    "text",
    [
        "lstm128,dense10",
        "gru128,dense10",
        "rnn128,dense10",
        "rnn128relu,dense10",
        "gru16seq,lstm8,dense10",
    ],
)
def test_specs_round_trip_through_layers_and_names(text: str) -> None:
    network = Sequential(parse_layers(text), input_shape=[784], seed=0)
    specs = network.specs()
    assert specs == parse_layers(text)
    assert short_form(specs) == text.replace(",", "-")
    twin = Sequential(specs, input_shape=[784], seed=0)
    for a, b in zip(network.parameters(), twin.parameters(), strict=True):
        np.testing.assert_array_equal(a, b)
    name = describe_architecture(network.sizes, network.activation, specs, [784])
    assert name == "784-" + text.replace(",", "-")


def test_json_specs_are_checked() -> None:
    layer = layer_from_spec({"type": "rnn", "units": 8, "nonlinearity": "relu"})
    assert isinstance(layer, SimpleRNN)
    assert layer.nonlinearity == "relu"
    assert not layer.return_sequences
    with pytest.raises(ValueError, match="return_sequences"):
        layer_from_spec({"type": "lstm", "units": 8, "return_sequences": "yes"})
    with pytest.raises(ValueError, match="unknown keys"):
        layer_from_spec({"type": "gru", "units": 8, "nonlinearity": "relu"})
    with pytest.raises(ValueError, match="units"):
        layer_from_spec({"type": "gru", "units": 0})
    with pytest.raises(ValueError, match="nonlinearity"):
        layer_from_spec({"type": "rnn", "units": 8, "nonlinearity": "sigmoid"})


# ------------------------------------------------------------------------------------------------
# Learning
# ------------------------------------------------------------------------------------------------


def train_chain(
    layers: Sequence[Layer], X: np.ndarray, labels: np.ndarray, epochs: int, batch: int, seed: int
) -> None:
    """Mini-batch Adam on the chain (what the training loop does, in a few lines)."""
    params = [p for layer in layers for p in layer.params]
    grads = [g for layer in layers for g in layer.grads]
    adam = make_optimizer("adam", params)
    eye = np.eye(10, dtype=X.dtype)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch):
            index = order[start : start + batch]
            chain_backprop(layers, X[index], eye[labels[index]])
            adam.step(params, grads, 0.01)


def accuracy(layers: Sequence[Layer], X: np.ndarray, labels: np.ndarray) -> float:
    z = X
    for layer in layers:
        z = layer.forward(z)
    return float(np.mean(z.argmax(axis=1) == labels))


def mnist_chain(name: str, units: int, seed: int) -> list[Layer]:
    layers: list[Layer] = [SequenceView(), FACTORIES[name](units, False), Dense(10)]
    shape: tuple[int, ...] = (784,)
    rng = np.random.default_rng(seed)
    for layer in layers:
        shape = layer.build(shape, rng, np.dtype(np.float32), "output")
    return layers


@pytest.mark.parametrize("name", ["lstm", "gru", "rnn-tanh"])
def test_a_recurrent_network_learns_row_by_row(name: str) -> None:
    X, labels = prototypes_problem(600, seed=1)
    X_test, labels_test = prototypes_problem(300, seed=2)
    layers = mnist_chain(name, 24, seed=3)
    before = [p.copy() for p in layers[1].params]
    train_chain(layers, X, labels, epochs=3, batch=32, seed=4)
    assert accuracy(layers, X_test, labels_test) > 0.8  # chance: 0.1
    assert not np.allclose(before[0], layers[1].params[0])  # the recurrent layer learned


@pytest.mark.mnist
def test_an_lstm_learns_mnist_digits_row_by_row(mnist_splits: Any) -> None:
    train, test = mnist_splits.train, mnist_splits.test
    layers = mnist_chain("lstm", 32, seed=0)
    train_chain(layers, train.images[:2000], train.labels[:2000], epochs=3, batch=32, seed=1)
    assert accuracy(layers, test.images[:1000], test.labels[:1000]) > 0.6  # chance: 0.1


def _sequential_run(arch: str) -> tuple[Sequential, list[np.ndarray], float]:
    X, labels = prototypes_problem(600, seed=1)
    X_test, labels_test = prototypes_problem(300, seed=2)
    network = Sequential(parse_layers(arch), input_shape=[784], seed=0)
    before = [p.copy() for p in network.parameters()]
    reports = network.train(
        (X, labels),
        3,
        32,
        0.01,
        validation_data=(X_test, labels_test),
        optimizer="adam",
        verbose=False,
    )
    assert reports[-1].validation_accuracy is not None
    return network, before, reports[-1].validation_accuracy


def test_sequential_builds_and_trains_an_lstm_with_the_training_loop() -> None:
    network, _, accuracy_percent = _sequential_run("lstm16,dense10")
    assert [layer.kind for layer in network.layers] == ["sequence", "lstm", "dense"]
    assert accuracy_percent > 80.0


def test_sequential_training_updates_the_recurrent_layer() -> None:
    network, before, _ = _sequential_run("lstm16,dense10")
    assert not np.allclose(before[0], network.parameters()[0])


def test_recurrent_networks_save_and_load_through_model_files(tmp_path: Path) -> None:
    # Two tensors per layer (W over U in one weight, one bias): the layers.{l}.weight/bias
    # names of model_files need no change.
    network = Sequential(parse_layers("gru16seq,lstm8,dense10"), input_shape=[784], seed=0)
    metadata = ModelMetadata.for_network(network, "recurrent-test")
    weights, _ = save_model(network, tmp_path / "model.safetensors", metadata)
    loaded = load_model(weights)
    assert loaded.network.specs() == network.specs()
    assert loaded.metadata.architecture == "784-gru16seq-lstm8-dense10"
    shapes = [layer.params[0].shape for layer in loaded.network.parameter_layers]
    assert shapes == [(28 + 16, 3 * 16), (16 + 8, 4 * 8), (10, 8)]
    rows = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    np.testing.assert_array_equal(loaded.network.feedforward(rows), network.feedforward(rows))
