"""Recurrent layers: a state carried through the steps of a sequence (see :mod:`.base`).

:class:`SimpleRNN` (tanh or ReLU), :class:`LSTM` and :class:`GRU`, all reading (n, steps,
features) — MNIST digits row by row through :class:`nn_core.layers.sequence.SequenceView`.
"""

from nn_core.layers.recurrent.base import Recurrent, RecurrentTrace
from nn_core.layers.recurrent.gru import GRU
from nn_core.layers.recurrent.lstm import LSTM
from nn_core.layers.recurrent.simple_rnn import NONLINEARITIES, SimpleRNN

__all__ = ["GRU", "LSTM", "NONLINEARITIES", "Recurrent", "RecurrentTrace", "SimpleRNN"]
