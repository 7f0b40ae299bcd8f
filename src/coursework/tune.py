"""tune: Optuna searches a task's hyperparameters by cross-validation on the training split."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable, Mapping

import numpy as np
import optuna
import pandas as pd

from coursework.config import TuneParams
from coursework.errors import ConfigError
from coursework.features import Split, split_data
from coursework.problems import Problem
from coursework.study import make_pruner, make_sampler, open_study
from coursework.train import Choice

VAL_SIZE = 0.2  # a deep trial's held-out share of the training split, scored every epoch


def suggest_params(trial: optuna.Trial, space: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """One point of a search space written in params.yaml (int, float with optional log, categorical)."""
    params: dict[str, Any] = {}
    for name, spec in space.items():
        kind = spec.get("type")
        if kind == "int":
            params[name] = trial.suggest_int(name, int(spec["low"]), int(spec["high"]), log=bool(spec.get("log", False)))
        elif kind == "float":
            params[name] = trial.suggest_float(name, float(spec["low"]), float(spec["high"]), log=bool(spec.get("log", False)))
        elif kind == "categorical":
            params[name] = trial.suggest_categorical(name, list(spec["choices"]))
        else:
            raise ConfigError(f"tune.space.{name}: type must be int, float or categorical, not {kind!r}")
    return params


def make_objective(
    *,
    fit_score: Callable[[dict[str, Any], pd.DataFrame, pd.Series | None, pd.DataFrame, pd.Series | None], float],
    base_params: Mapping[str, Any],
    space: Mapping[str, Mapping[str, Any]],
    X: pd.DataFrame,
    y: pd.Series | None,
    folds: int,
    seed: int,
    problem: Problem,
    fit_epochs: Callable[..., float] | None = None,
    val_size: float = VAL_SIZE,
    shuffle: bool = True,
) -> Callable[[optuna.Trial], float]:
    """The objective: mean fold score of base_params overlaid with the trial's suggestions, reported per fold.

    With fit_epochs (a deep task), the trial trains once instead and reports per epoch: see make_epoch_objective.
    """
    if fit_epochs is not None:
        return make_epoch_objective(fit_epochs=fit_epochs, base_params=base_params, space=space, X=X, y=y, seed=seed,
                                    problem=problem, val_size=val_size, shuffle=shuffle)
    splitter = problem.cv_splitter(folds, seed)

    def objective(trial: optuna.Trial) -> float:
        params = {**base_params, **suggest_params(trial, space)}
        scores = []
        for step, (fit_idx, val_idx) in enumerate(splitter.split(X, y if problem.classifier else None)):
            y_fit = None if y is None else y.iloc[fit_idx]
            y_val = None if y is None else y.iloc[val_idx]
            scores.append(fit_score(params, X.iloc[fit_idx], y_fit, X.iloc[val_idx], y_val))
            trial.report(float(np.mean(scores)), step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return float(np.mean(scores))

    return objective


def holdout_split(X: pd.DataFrame, y: pd.Series | None, *, val_size: float, seed: int, stratify: bool,
                  shuffle: bool) -> Split:
    """Fit and validation rows (as a Split) out of the training split; unshuffled tasks hold out the last rows.

    The same rule as the test split's (features.split_data), applied inside the training rows.
    """
    return split_data(X, y, test_size=val_size, random_state=seed, stratify=stratify, shuffle=shuffle)


def make_epoch_objective(
    *,
    fit_epochs: Callable[..., float],
    base_params: Mapping[str, Any],
    space: Mapping[str, Mapping[str, Any]],
    X: pd.DataFrame,
    y: pd.Series | None,
    seed: int,
    problem: Problem,
    val_size: float = VAL_SIZE,
    shuffle: bool = True,
) -> Callable[[optuna.Trial], float]:
    """A deep task's objective: fit_epochs(params, X_fit, y_fit, X_val, y_val, trial) on one split of the training rows.

    fit_epochs reports the validation metric to the trial after every epoch and raises TrialPruned when told
    (coursework.deep_tuning); the test split is never among X's rows, so it is never scored here.
    """
    rows = holdout_split(X, y, val_size=val_size, seed=seed, stratify=problem.classifier, shuffle=shuffle)

    def objective(trial: optuna.Trial) -> float:
        params = {**base_params, **suggest_params(trial, space)}
        return fit_epochs(params, rows.X_train, rows.y_train, rows.X_test, rows.y_test, trial)

    return objective


def tune_params(objective: Callable[[optuna.Trial], float], *, n_trials: int, seed: int, greater_is_better: bool,
                tune: TuneParams | None = None) -> optuna.Study:
    """Run a seeded, pruned in-memory study (the inline study of `coursework run`) and return it."""
    tune = tune or TuneParams()
    study = open_study(None, None, direction=direction(greater_is_better), sampler=make_sampler(tune, seed),
                       pruner=make_pruner(tune))
    study.optimize(objective, n_trials=n_trials or None, timeout=tune.timeout)
    return study


def direction(greater_is_better: bool) -> str:
    return "maximize" if greater_is_better else "minimize"


def fit_score_for(*, problem: Problem, primary: str, factory: Callable[..., Any], features: Any, seed: int):
    """fit_score for make_objective: fit the candidate on the fit folds, score the primary metric on the held-out fold."""
    from coursework.train import build_model, train_model

    def fit_score(params, X_fit, y_fit, X_val, y_val) -> float:
        model = train_model(features, build_model(factory, params, seed=seed), X_fit, y_fit)
        return problem.score(model, X_val, y_val)[primary]
    return fit_score


def check_known(candidates: Mapping[str, Any], factories: Mapping[str, Any]) -> None:
    unknown = [name for name in candidates if name not in factories]
    if unknown:
        raise ConfigError(f"models {unknown} are not defined by the task; choose from {sorted(factories)}")


def tuning_target(tune: Any, candidates: Mapping[str, Mapping[str, Any]], factories: Mapping[str, Any]) -> str:
    """The candidate the tune block searches: its `model`, or the first candidate."""
    check_known(candidates, factories)
    target = tune.model or next(iter(candidates))
    if target not in candidates:
        raise ConfigError(f"tune.model '{target}' is not one of the task's models {sorted(candidates)}")
    return target


def task_objective(*, problem: Problem, primary: str, factories: Mapping[str, Callable[..., Any]],
                   candidates: Mapping[str, Mapping[str, Any]], features: Any, X: pd.DataFrame, y: pd.Series | None,
                   tune: Any, seed: int, shuffle: bool = True, per_epoch: bool = True,
                   ) -> tuple[str, Callable[[optuna.Trial], float]]:
    """(model name, objective) of the task's study, on the training split only.

    A classic candidate reports per CV fold; a Keras one (with per_epoch) trains once and reports per epoch
    on held-out training rows (coursework.deep_tuning). shuffle=False holds out the latest rows (time series).
    """
    from coursework import deep_tuning
    from coursework.train import build_model

    target = tuning_target(tune, candidates, factories)
    factory, base = factories[target], dict(candidates[target])
    fit_epochs = None
    if per_epoch and deep_tuning.is_deep(build_model(factory, base, seed=seed)):
        fit_epochs = deep_tuning.epoch_fitter(build=lambda params: build_model(factory, params, seed=seed),
                                              features=features, problem=problem, primary=primary)
    objective = make_objective(
        fit_score=fit_score_for(problem=problem, primary=primary, factory=factory, features=features, seed=seed),
        base_params=base, space=tune.space, X=X, y=y, folds=tune.cv_folds, seed=seed,
        problem=problem, fit_epochs=fit_epochs, shuffle=shuffle,
    )
    return target, objective


def study_record(study: optuna.Study, model: str) -> dict[str, Any]:
    """What the run logs about a study (tuning/study.json)."""
    return {
        "model": model, "best_value": study.best_value, "best_params": study.best_params, "trials": len(study.trials),
        "pruned": sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials),
    }


def choose_model(
    *,
    problem: Problem,
    primary: str,
    factories: Mapping[str, Callable[..., Any]],
    candidates: Mapping[str, Mapping[str, Any]],
    features: Any,
    X: pd.DataFrame,
    y: pd.Series | None,
    tune: Any,
    seed: int,
    tuned: Mapping[str, Any] | None = None,
    shuffle: bool = True,
) -> Choice:
    """Pick the candidate and hyperparameters to train: tuned/<task>.yaml or an inline Optuna study for one
    candidate's space, then CV among candidates.

    Uses only the training split, so the test split stays unseen.
    """
    check_known(candidates, factories)
    chosen = {name: dict(hp) for name, hp in candidates.items()}
    common = dict(problem=problem, primary=primary, factories=factories, features=features, X=X, y=y, seed=seed,
                  shuffle=shuffle)
    record = None
    if tuned:  # a persisted study's best params overlay the model's own: no inline study
        target = tuning_target(SimpleNamespace(model=tuned["model"]), chosen, factories)
        chosen[target].update(tuned["params"])
        record = {"model": target, "tuned_file": True, **{k: tuned.get(k) for k in ("study", "best_value", "trials")},
                  "best_params": dict(tuned["params"])}
    elif tune.n_trials > 0 or tune.timeout:
        target, objective = task_objective(candidates=chosen, tune=tune, **common)
        study = tune_params(objective, n_trials=tune.n_trials, seed=seed,
                            greater_is_better=problem.greater_is_better(primary), tune=tune)
        chosen[target].update(study.best_params)
        record = study_record(study, target)
    cv: dict[str, float] = {}
    if len(chosen) > 1:
        for name, params in chosen.items():
            no_space = SimpleNamespace(model=name, space={}, cv_folds=tune.cv_folds)
            _, objective = task_objective(candidates={**chosen, name: params}, tune=no_space, per_epoch=False, **common)
            cv[name] = objective(optuna.trial.FixedTrial({}))
    pick = problem.best(cv, primary) if cv else next(iter(chosen))
    return Choice(model=pick, params=chosen[pick], candidates=chosen, cv=cv, study=record)
