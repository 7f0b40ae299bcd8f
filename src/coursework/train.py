"""train: build and fit a task's model. Choosing hyperparameters is tune's job, not this module's."""

from __future__ import annotations

import inspect
from typing import Any, Callable, Mapping

import pandas as pd
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from coursework.errors import ConfigError


def build_model(factory: Callable[..., Any], hyperparams: Mapping[str, Any], *, seed: int) -> Any:
    """An unfitted estimator from its factory; seeded when the factory takes a random_state."""
    params = dict(hyperparams)
    try:
        accepted = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        accepted = {}
    if "random_state" in accepted and "random_state" not in params:
        params["random_state"] = seed
    try:
        return factory(**params)
    except TypeError as exc:
        raise ConfigError(f"model params {params} do not fit {getattr(factory, '__name__', factory)}: {exc}") from None


def train_model(features: Pipeline, estimator: Any, X: pd.DataFrame, y: pd.Series | None) -> Pipeline:
    """Fit features and model together on the training split, as one Pipeline that predict reuses."""
    model = Pipeline([("features", clone(features)), ("model", estimator)])
    if y is None:
        model.fit(X)
    else:
        model.fit(X, y)
    return model
