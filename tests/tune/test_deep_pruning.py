"""Deep trials report their holdout metric every epoch and are pruned by the epoch callback (real Keras, tiny data)."""

from __future__ import annotations

import tempfile

import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from coursework import deep, deep_tuning
from coursework.config import TuneParams
from coursework.problems import PROBLEMS
from coursework.tune import choose_model, holdout_split, make_objective, task_objective

pytest.importorskip("keras")

FACTORY = deep.keras_factory(deep.KerasClassifier, deep.dense_network)
TINY = {"hidden": [8], "epochs": 4, "batch_size": 16, "patience": 10, "validation_split": 0.2}
SPACE = {"learning_rate": {"type": "float", "low": 1e-5, "high": 1e-1, "log": True}}
STEPS = 4
CLASSIFICATION = PROBLEMS["classification"]


@pytest.fixture(scope="module")
def blobs():
    """Three well-separated classes: a sane learning rate reaches ~1.0 accuracy in a few epochs, 1e-6 stays near chance."""
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0, 0, 0], [5, 5, 0, 0], [0, 0, 5, 5]], dtype=float)
    X = pd.DataFrame(np.concatenate([c + rng.normal(size=(60, 4)) for c in centres]), columns=list("abcd"))
    y = pd.Series(np.repeat(["x", "y", "z"], 60), name="label")
    return X, y


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Temporary folders and the working folder of this test only, so leftovers can be seen."""
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def objective_for(X, y, **extra):
    features = Pipeline([("scale", StandardScaler())])
    _, objective = task_objective(problem=CLASSIFICATION, primary="accuracy", factories={"dense": FACTORY},
                                  candidates={"dense": {**TINY, **extra}}, features=features, X=X, y=y,
                                  tune=TuneParams(space=SPACE), seed=0)
    return objective


def study_with_history(pruner, level: float = 1.0) -> optuna.Study:
    """Two finished trials that scored `level` at every epoch: a trial clearly worse must be pruned.

    Successive halving reads the rungs a trial passed from its system attributes, so they carry those too.
    """
    study = optuna.create_study(direction="maximize", pruner=pruner, sampler=optuna.samplers.RandomSampler(seed=0))
    distribution = optuna.distributions.FloatDistribution(1e-5, 1e-1, log=True)
    for lr in (0.05, 0.03):
        study.add_trial(optuna.trial.create_trial(
            params={"learning_rate": lr}, distributions={"learning_rate": distribution}, value=level,
            intermediate_values={step: level for step in range(STEPS)},
            system_attrs={f"completed_rung_{rung}": level for rung in range(2)}))
    return study


@pytest.mark.parametrize("pruner", [
    optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=1),
    optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
], ids=["median", "successive_halving"])
def test_a_clearly_bad_deep_trial_is_pruned_by_the_epoch_callback(blobs, isolated, pruner):
    X, y = blobs
    study = study_with_history(pruner)
    study.enqueue_trial({"learning_rate": 1e-5})  # far too small: near chance after an epoch or two
    study.optimize(objective_for(X, y), n_trials=1)
    trial = study.trials[-1]
    assert trial.state == optuna.trial.TrialState.PRUNED
    # pruned after the second epoch (step 1): it reported exactly the epochs it trained, each an accuracy
    assert sorted(trial.intermediate_values) == [0, 1]
    assert all(0.0 <= v < 0.9 for v in trial.intermediate_values.values())
    assert not any((isolated / "tmp").iterdir()), "a pruned trial left its checkpoint folder behind"
    assert not (isolated / ".coursework").exists(), "a trial wrote checkpoints where a rerun would resume them"


def test_a_good_trial_completes_with_one_report_per_epoch(blobs):
    X, y = blobs
    # the same pruner, a history it beats from the second epoch on: it must run all its epochs
    study = study_with_history(optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=1), level=0.6)
    study.enqueue_trial({"learning_rate": 0.05})
    study.optimize(objective_for(X, y), n_trials=1)
    trial = study.trials[-1]
    assert trial.state == optuna.trial.TrialState.COMPLETE
    assert sorted(trial.intermediate_values) == list(range(trial.user_attrs["epochs_run"])) == list(range(STEPS))
    assert trial.value >= 0.95


def test_reported_values_are_the_holdout_metric_not_a_keras_log(blobs):
    """One epoch: the reported value and the return value are the holdout accuracy we compute ourselves."""
    X, y = blobs
    seen = {}

    def fit_epochs(params, X_fit, y_fit, X_val, y_val, trial):
        estimator = FACTORY(random_state=0, **params)
        value = deep_tuning.fit_epochs(estimator=estimator, features=Pipeline([("scale", StandardScaler())]),
                                       problem=CLASSIFICATION, primary="accuracy", trial=trial,
                                       X_fit=X_fit, y_fit=y_fit, X_val=X_val, y_val=y_val)
        pipeline = Pipeline([("scale", StandardScaler().fit(X_fit)), ("model", estimator)])
        seen["accuracy"] = accuracy_score(y_val, pipeline.predict(X_val))
        return value

    objective = make_objective(fit_score=None, base_params={**TINY, "epochs": 1, "learning_rate": 0.003}, space={},
                               X=X, y=y, folds=3, seed=0, problem=CLASSIFICATION, fit_epochs=fit_epochs)
    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    assert 0.0 < seen["accuracy"] < 1.0  # one slow epoch: neither extreme, so a wrong report would not match by luck
    assert trial.intermediate_values == {0: pytest.approx(seen["accuracy"])}
    assert trial.value == pytest.approx(seen["accuracy"])


def test_deep_tuning_in_choose_model_never_sees_the_test_split(blobs):
    X, y = blobs
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    seen: set = set()

    def record(frame):
        seen.update(frame.index)
        return frame

    features = Pipeline([("spy", FunctionTransformer(record)), ("scale", StandardScaler())])
    tune = TuneParams(n_trials=2, model="dense", space=SPACE)
    choice = choose_model(problem=CLASSIFICATION, primary="accuracy",
                          factories={"dense": FACTORY}, candidates={"dense": TINY}, features=features,
                          X=X_train, y=y_train, tune=tune, seed=0)
    assert choice.study["trials"] == 2 and 1e-5 <= choice.params["learning_rate"] <= 1e-1
    holdout = holdout_split(X_train, y_train, val_size=0.2, seed=0, stratify=True, shuffle=True)
    assert set(holdout.X_test.index) <= seen, "the holdout rows were never scored"
    assert seen <= set(X_train.index) and not seen & set(X_test.index)


def test_holdout_is_a_disjoint_part_of_the_training_rows_and_the_last_rows_when_unshuffled(blobs):
    X, y = blobs
    rows = holdout_split(X, y, val_size=0.2, seed=0, stratify=True, shuffle=True)
    assert not set(rows.X_train.index) & set(rows.X_test.index) and len(rows.X_train) + len(rows.X_test) == len(X)
    assert rows.y_test.value_counts().min() == rows.y_test.value_counts().max()  # stratified: 12 of each class
    X_val = holdout_split(X, y, val_size=0.2, seed=0, stratify=True, shuffle=False).X_test
    assert list(X_val.index) == list(X.index[-len(X_val):])  # a time series is validated on its latest rows


DEEP_OFFLINE = ("boston_dense", "wine_dense", "mnist_dense", "mnist_lenet", "fashion_autoencoder", "sequence_lstm",
                "stock_lstm")


@pytest.mark.parametrize("task", DEEP_OFFLINE)
def test_every_offline_deep_task_has_a_tune_block_pruned_over_its_epochs(task):
    from coursework.config import load_params, task_params
    from pipelines import get_spec
    from tests.support import PARAMS

    params = task_params(load_params(PARAMS), task)
    target = params.tune.model or next(iter(params.models))
    estimator = get_spec(task).models[target](**params.models[target])
    assert deep_tuning.is_deep(estimator)
    assert params.tune.n_trials == 0, "the main job trains with the block's values; `coursework tune` searches"
    assert "learning_rate" in params.tune.space and params.tune.space["learning_rate"]["log"]
    assert params.tune.pruner["type"] in ("hyperband", "successive_halving")
    assert params.tune.pruner.get("max_resource") in (None, "auto", estimator.epochs)  # the resource is the epoch


def test_dense_network_takes_one_int_width_so_it_can_be_tuned():
    network = deep.dense_network((4,), 3, "softmax", hidden=5)
    widths = [layer.units for layer in network.layers if hasattr(layer, "units")]
    assert widths == [5, 3]
