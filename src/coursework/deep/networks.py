"""deep.networks: the `models` factory a task declares, and the dense network several tasks share."""

from __future__ import annotations

import inspect
from typing import Any, Callable

from coursework.config import thaw
from coursework.deep.estimators import KerasEstimator
from coursework.deep.runtime import keras_module


def keras_factory(estimator: type[KerasEstimator], build: Callable[..., Any], **fixed: Any) -> Callable[..., KerasEstimator]:
    """A `models` factory: params.yaml hyperparams split into fit settings and the builder's options.

    `fixed` holds settings the task sets in code, e.g. `custom_objects=` for a network with its own layers.
    """
    fit_keys = set(inspect.signature(KerasEstimator.__init__).parameters) - {"self", "build", "build_options"}

    def factory(random_state: int = 0, **hyperparams: Any) -> KerasEstimator:
        fit = {k: thaw(v) for k, v in {**fixed, **hyperparams}.items() if k in fit_keys}
        options = {k: thaw(v) for k, v in hyperparams.items() if k not in fit_keys}
        return estimator(build=build, build_options=options, random_state=random_state, **fit)

    factory.__name__ = f"{estimator.__name__}[{getattr(build, '__name__', 'build')}]"
    return factory


def dense_network(input_shape: tuple, n_outputs: int, output_activation: str | None,
                  hidden: int | list[int] = (64, 32), dropout: float = 0.0, activation: str = "relu"):
    """Flatten -> [Dense -> Dropout] per hidden size (an int: one layer, so Optuna can tune it) -> output (Sequential API)."""
    keras = keras_module()
    layers = keras.layers
    network = keras.Sequential([keras.Input(shape=input_shape), layers.Flatten()], name="dense")
    for units in [hidden] if isinstance(hidden, int) else hidden:
        network.add(layers.Dense(int(units), activation=activation))
        if dropout:
            network.add(layers.Dropout(float(dropout)))
    network.add(layers.Dense(n_outputs, activation=output_activation, dtype="float32"))  # float32 under mixed precision
    return network
