"""deep_tuning: a deep trial trains once and reports its validation metric to Optuna after every epoch.

The metric is the task's primary metric in its own units (accuracy, MAE, RMSE, reconstruction MSE),
scored on rows held out of the training split, never the test split. optuna-integration's
KerasPruningCallback reports it and ends the trial as PRUNED when the study's pruner says so.
"""

from __future__ import annotations

import tempfile
from functools import lru_cache
from typing import Any, Callable, Mapping

import optuna
import pandas as pd
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from coursework.deep import KerasEstimator
from coursework.problems import Problem


@lru_cache(maxsize=1)
def _holdout_pruning():
    """The callback class, built on first use: optuna-integration's module imports Keras."""
    from optuna_integration import KerasPruningCallback

    class HoldoutPruning(KerasPruningCallback):
        """Scores the network on the held-out rows each epoch and hands that score to the pruning callback."""

        def __init__(self, trial: optuna.Trial, monitor: str, score: Callable[[Any], float]):
            super().__init__(trial, monitor)
            self._score = score

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            # the parent reads the monitored key from logs; a Keras log (standardised MAE, MSE) is not the task's metric
            super().on_epoch_end(epoch, {**(logs or {}), self._monitor: self._score(self.model)})

    return HoldoutPruning


def pruning_callback(trial: optuna.Trial, primary: str, score: Callable[[Any], float]):
    """A Keras callback reporting score(network) as `holdout_<primary>` to the trial each epoch, pruning on its word."""
    return _holdout_pruning()(trial, f"holdout_{primary}", score)


def is_deep(estimator: Any) -> bool:
    """Whether an unfitted estimator trains epoch by epoch (and so is pruned per epoch)."""
    return isinstance(estimator, KerasEstimator)


def fit_epochs(*, estimator: KerasEstimator, features: Pipeline, problem: Problem, primary: str, trial: optuna.Trial,
               X_fit: pd.DataFrame, y_fit: pd.Series | None, X_val: pd.DataFrame, y_val: pd.Series | None) -> float:
    """Train one trial's network on X_fit, reporting the primary metric on (X_val, y_val) per epoch; its final score.

    The final score is the restored network's (the best epoch on the estimator's own val_loss), so it is
    the model these parameters would train. A pruned trial raises optuna.TrialPruned out of here.
    """
    model = Pipeline([("features", clone(features)), ("model", estimator)])

    def score(network) -> float:
        estimator.model_ = network  # the features are fitted before the estimator trains, so the pipeline predicts
        return float(problem.score(model, X_val, y_val)[primary])

    # a pruned trial's checkpoints go with its own temporary folder, never into .coursework/checkpoints for a rerun
    with tempfile.TemporaryDirectory(prefix="coursework-trial-") as folder:
        estimator.set_params(callbacks=[pruning_callback(trial, primary, score)], checkpoint_dir=folder, verbose=0)
        model.fit(X_fit) if y_fit is None else model.fit(X_fit, y_fit)
    trial.set_user_attr("epochs_run", int(estimator.fit_stats_["epochs_run"]))
    return score(estimator.model_)


def epoch_fitter(*, build: Callable[[Mapping[str, Any]], KerasEstimator], features: Pipeline, problem: Problem,
                 primary: str) -> Callable[..., float]:
    """fit_epochs bound to a task: (params, X_fit, y_fit, X_val, y_val, trial) -> final holdout score."""
    def fit(params, X_fit, y_fit, X_val, y_val, trial) -> float:
        return fit_epochs(estimator=build(params), features=features, problem=problem, primary=primary, trial=trial,
                          X_fit=X_fit, y_fit=y_fit, X_val=X_val, y_val=y_val)
    return fit
