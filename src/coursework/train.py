"""train: build and fit a task's model. Choosing hyperparameters is tune's job, not this module's."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

import pandas as pd
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from coursework.config import thaw
from coursework.errors import ConfigError


@dataclass(frozen=True)
class Choice:
    """What to train: the picked candidate and its params, every candidate's params, CV scores and the study record."""

    model: str  # the candidate's name in the task's models
    params: Mapping[str, Any]  # its hyperparameters, tuned where a study or tuned/<task>.yaml says
    candidates: Mapping[str, Mapping[str, Any]]  # every candidate's params after tuning
    cv: Mapping[str, float]  # every candidate's mean CV score of the primary metric (empty for one candidate)
    study: Mapping[str, Any] | None  # what the run logs as tuning/study.json, None without tuning

    def run_params(self, params: Any) -> dict[str, Any]:
        """The MLflow params of the run that trains this choice under a task's params."""
        return {"model": self.model, "hp": self.params, "split": thaw(params.raw["split"]),
                "features": thaw(params.features), "seed": params.seed}


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


def train_choice(factories: Mapping[str, Callable[..., Any]], choice: Choice, features: Pipeline, X: pd.DataFrame,
                 y: pd.Series | None, *, seed: int) -> Pipeline:
    """The chosen candidate, built with its params and fitted on the training split."""
    return train_model(features, build_model(factories[choice.model], choice.params, seed=seed), X, y)


def fit_candidates(factories: Mapping[str, Callable[..., Any]], choice: Choice, model: Pipeline, features: Pipeline,
                   X: pd.DataFrame, y: pd.Series | None, *, seed: int) -> Iterator[tuple[str, Pipeline]]:
    """(name, fitted model) of every candidate when there are several: the losers re-trained, one at a time.

    Lazy, so each loser is trained only as it is scored and never held beside the others.
    """
    if len(choice.candidates) < 2:
        return
    for name, hp in choice.candidates.items():
        yield name, model if name == choice.model else train_model(
            features, build_model(factories[name], hp, seed=seed), X, y)
