"""NumPy neural networks, the 3Blue1Brown / Nielsen way (no Django in here).

The network lives in :mod:`nn_core.network`; its building blocks have a module each
(:mod:`~nn_core.activations`, :mod:`~nn_core.costs`, :mod:`~nn_core.initialization`,
:mod:`~nn_core.optimizers`, :mod:`~nn_core.schedules`), and a training run's options are one
object, :class:`~nn_core.hyperparameters.Hyperparameters`.
"""

from nn_core.hyperparameters import HyperparameterError, Hyperparameters
from nn_core.network import (
    ACTIVATIONS,
    COSTS,
    OPTIMIZERS,
    OUTPUTS,
    SCHEDULES,
    EpochReport,
    LayerActivations,
    NeuralNetwork,
    Prediction,
    TrainingDiverged,
)

__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "OPTIMIZERS",
    "OUTPUTS",
    "SCHEDULES",
    "EpochReport",
    "HyperparameterError",
    "Hyperparameters",
    "LayerActivations",
    "NeuralNetwork",
    "Prediction",
    "TrainingDiverged",
]
