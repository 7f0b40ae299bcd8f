"""tune and train: seeded search over a params.yaml space, CV choice on the training split, seeded builds."""

import optuna
import pytest
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

from coursework.config import TuneParams
from coursework.errors import ConfigError
from coursework.features import build_features
from coursework.problems import PROBLEMS
from coursework.train import build_model, train_model
from coursework.tune import choose_model, suggest_params
from tests.support import iris_frame

IRIS = iris_frame()
X, Y = IRIS.drop(columns="species"), IRIS["species"]
FEATURES = build_features(numeric=list(X.columns), categorical=[], options={"scaler": "none"})
SPACE = {
    "k": {"type": "int", "low": 1, "high": 15},
    "c": {"type": "float", "low": 1e-3, "high": 10.0, "log": True},
    "w": {"type": "categorical", "choices": ["uniform", "distance"]},
}


def _sample(seed, n=5):
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    out = []
    for _ in range(n):
        trial = study.ask()
        out.append(suggest_params(trial, SPACE))
        study.tell(trial, 0.0)
    return out


def test_suggest_params_is_seeded_and_in_range():
    first, again = _sample(3), _sample(3)
    assert first == again
    assert first != _sample(4)
    for p in first:
        assert 1 <= p["k"] <= 15 and isinstance(p["k"], int)
        assert 1e-3 <= p["c"] <= 10.0
        assert p["w"] in ("uniform", "distance")


def test_suggest_params_rejects_unknown_type():
    trial = optuna.create_study().ask()
    with pytest.raises(ConfigError, match="bogus"):
        suggest_params(trial, {"bogus": {"type": "uniform", "low": 0, "high": 1}})


def _choose(candidates, tune=TuneParams(), factories=None, problem="classification", primary="accuracy", y=Y, X=X):
    features = build_features(numeric=list(X.columns), categorical=[], options={"scaler": "none"})
    return choose_model(
        problem=PROBLEMS[problem], primary=primary,
        factories=factories or {"knn": KNeighborsClassifier, "tree": DecisionTreeClassifier},
        candidates=candidates, features=features, X=X, y=y, tune=tune, seed=0,
    )


def test_choose_model_single_candidate_is_untouched():
    found = _choose({"knn": {"n_neighbors": 3}})
    assert (found.model, found.params, found.cv, found.study) == ("knn", {"n_neighbors": 3}, {}, None)


def test_choose_model_tuning_is_seeded():
    tune = TuneParams(n_trials=4, model="knn", cv_folds=3,
                      space={"n_neighbors": {"type": "int", "low": 1, "high": 25}})
    # a one-split tree cannot separate three species (CV accuracy ~0.67), so the tuned knn is always chosen
    candidates = {"knn": {"n_neighbors": 3}, "tree": {"max_depth": 1}}
    first = _choose(candidates, tune=tune)
    again = _choose(candidates, tune=tune)
    assert first == again
    assert first.study["trials"] == 4 and first.study["model"] == "knn"
    assert 1 <= first.study["best_params"]["n_neighbors"] <= 25
    assert first.model == "knn"
    assert first.params["n_neighbors"] == first.study["best_params"]["n_neighbors"]  # the tuned value is trained
    assert set(first.cv) == {"knn", "tree"}
    assert first.model == max(first.cv, key=first.cv.get)


def test_choose_model_lower_is_better_picks_the_minimum():
    y = X["petal_length"] * 2.0 + X["sepal_width"]
    Xr = X.drop(columns="petal_length")
    found = _choose({"ols": {}, "ridge": {"alpha": 1000.0}}, problem="regression", primary="rmse",
                    factories={"ols": LinearRegression, "ridge": Ridge}, y=y, X=Xr)
    assert found.model == min(found.cv, key=found.cv.get) == "ols"


@pytest.mark.parametrize(
    "candidates, tune, words",
    [
        ({"svm": {}}, TuneParams(), "svm"),
        ({"knn": {}}, TuneParams(n_trials=2, model="tree", space={}), "tree"),
    ],
)
def test_choose_model_config_errors(candidates, tune, words):
    with pytest.raises(ConfigError, match=words):
        _choose(candidates, tune=tune)


def test_build_model_seeds_random_state():
    assert build_model(DecisionTreeClassifier, {"max_depth": 2}, seed=7).random_state == 7
    assert build_model(DecisionTreeClassifier, {"random_state": 1}, seed=7).random_state == 1
    assert build_model(KNeighborsClassifier, {"n_neighbors": 2}, seed=7).n_neighbors == 2


def test_build_model_bad_hyperparameter_is_a_config_error():
    with pytest.raises(ConfigError, match="n_neigbors"):
        build_model(KNeighborsClassifier, {"n_neigbors": 3}, seed=0)


def test_train_model_is_deterministic_and_leaves_features_unfitted():
    first = train_model(FEATURES, build_model(DecisionTreeClassifier, {}, seed=0), X, Y)
    again = train_model(FEATURES, build_model(DecisionTreeClassifier, {}, seed=0), X, Y)
    assert [name for name, _ in first.steps] == ["features", "model"]
    assert (first.predict(X) == again.predict(X)).all()
    assert not hasattr(FEATURES[-1], "transformers_")  # the template was cloned, not fitted in place


@pytest.mark.parametrize("record, data_hash, warned", [
    ({"data_hash": "a" * 64}, "a" * 64, False),  # tuned on this data
    ({"data_hash": "a" * 64}, "b" * 64, True),  # the data changed since
    (None, "b" * 64, False),  # not tuned
    ({"data_hash": "a" * 64}, None, False),  # a run that does not know its data hash says nothing
])
def test_a_tuned_file_from_other_data_is_named(record, data_hash, warned):
    from coursework import tuned

    note = tuned.stale_note(record, "iris_knn", data_hash)
    assert (note is not None) == warned
    if warned:
        assert note.startswith("tuned/iris_knn.yaml was tuned on data sha256 aaaaaaaaaaaa") and "bbbbbbbbbbbb" in note
