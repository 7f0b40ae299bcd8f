"""problems: each family's metrics, naive baseline, plots and folds, and evaluate_model around them."""

import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from coursework import evaluate, train
from coursework.errors import ConfigError
from coursework.features import Split
from coursework.problems import METRIC_DIRECTION, PROBLEMS, problem_for
from coursework.train import Choice

approx = pytest.approx


def _blobs(seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[0, 0], [8, 8], [0, 8]])
    labels = np.repeat([0, 1, 2], 30)
    X = pd.DataFrame(centers[labels] + rng.normal(scale=0.5, size=(90, 2)), columns=["a", "b"])
    return X, pd.Series(labels)


def _kmeans(X):
    return Pipeline([("features", FunctionTransformer()), ("model", KMeans(n_clusters=3, n_init=4, random_state=0))]).fit(X)


class Shrinker(BaseEstimator):
    """A stand-in autoencoder: reconstructs every input as 0.9 of itself."""

    def fit(self, Z, y=None):
        return self

    def predict(self, Z):
        return 0.9 * np.asarray(Z, dtype=float)


def _fitted(family: str, X, labels):
    """(y, fitted model) of a family on the blobs."""
    if family == "classification":
        return labels, Pipeline([("f", FunctionTransformer()), ("m", LogisticRegression())]).fit(X, labels)
    if family == "regression":
        y = X["a"] * 2 + 1
        return y, Pipeline([("f", FunctionTransformer()), ("m", LinearRegression())]).fit(X, y)
    if family == "reconstruction":
        return None, Pipeline([("f", FunctionTransformer(lambda Z: Z / 10.0)), ("m", Shrinker())]).fit(X)
    return labels, _kmeans(X)


def test_baseline_classification_is_majority_class():
    X_train = pd.DataFrame({"x": [0.0, 1.0, 2.0]})
    X_test = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    split = Split(X_train, X_test, pd.Series(list("aab")), pd.Series(list("abbb")))
    found = PROBLEMS["classification"].baseline(None, split, seed=0)
    assert found["accuracy"] == approx(0.25)
    assert found["recall_macro"] == approx(0.5)


def test_baseline_regression_is_the_train_mean():
    X = pd.DataFrame({"x": [0.0, 1.0]})
    found = PROBLEMS["regression"].baseline(None, Split(X, X, pd.Series([1.0, 3.0]), pd.Series([2.0, 4.0])), seed=0)
    assert (found["mse"], found["mae"], found["r2"]) == (approx(2.0), approx(1.0), approx(-1.0))
    assert set(found) == {"r2", "mse", "rmse", "mae", "mape"}


def test_baseline_clustering_is_seeded_random_assignment():
    X, y = _blobs()
    model, clustering = _kmeans(X), PROBLEMS["clustering"]
    first = clustering.baseline(model, Split(X, X, y, y), seed=3)
    assert first == clustering.baseline(model, Split(X, X, y, y), seed=3)
    assert first != clustering.baseline(model, Split(X, X, y, y), seed=4)
    assert set(first) == {"silhouette", "inertia", "ari"}
    real = clustering.score(model, X, y)
    assert real["inertia"] < first["inertia"] and real["silhouette"] > first["silhouette"] and real["ari"] > first["ari"]


def test_baseline_reconstruction_is_the_mean_training_input():
    X, _ = _blobs()
    model = _fitted("reconstruction", X, None)[1]
    found = PROBLEMS["reconstruction"].baseline(model, Split(X, X, None, None), seed=0)
    Z = X.to_numpy() / 10.0
    assert found["reconstruction_mse"] == approx(((Z - Z.mean(axis=0)) ** 2).mean())
    assert PROBLEMS["reconstruction"].score(model, X, None)["reconstruction_mse"] == approx(((0.1 * Z) ** 2).mean())


def test_score_clustering_inertia_matches_kmeans():
    X, y = _blobs()
    model = _kmeans(X)
    found = PROBLEMS["clustering"].score(model, X, y)
    assert found["inertia"] == approx(model[-1].inertia_, rel=1e-6)
    assert found["ari"] == approx(1.0)


def test_score_binary_classifier_reports_every_classification_metric():
    X = pd.DataFrame({"x": np.r_[np.linspace(0, 1, 20), np.linspace(2, 3, 20)]})
    y = pd.Series(["no"] * 20 + ["yes"] * 20)
    found = PROBLEMS["classification"].score(LogisticRegression().fit(X, y), X, y)
    assert found["accuracy"] == 1.0 and found["roc_auc"] == 1.0 and found["f1"] == 1.0
    assert set(found) == set(PROBLEMS["classification"].directions)  # a direction for every metric it reports


@pytest.mark.parametrize("family", ["regression", "clustering", "reconstruction"])
def test_every_metric_a_family_reports_has_a_direction(family):
    X, labels = _blobs()
    y, model = _fitted(family, X, labels)
    assert set(PROBLEMS[family].score(model, X, y)) == set(PROBLEMS[family].directions)


def test_directions_pick_the_best_and_a_metric_belongs_to_one_family():
    assert PROBLEMS["regression"].best({"ols": 0.5, "ridge": 0.7}, "rmse") == "ols"
    assert PROBLEMS["regression"].best({"ols": 0.5, "ridge": 0.7}, "r2") == "ridge"
    names = [m for p in PROBLEMS.values() for m in p.directions]
    assert len(names) == len(set(names)) == len(METRIC_DIRECTION)
    with pytest.raises(ConfigError, match="ranking"):
        problem_for("ranking")


def test_cv_folds_are_stratified_only_for_a_classifier():
    X, y = _blobs()
    assert isinstance(PROBLEMS["classification"].cv_splitter(3, 0), StratifiedKFold)
    for _, val in PROBLEMS["classification"].cv_splitter(3, 0).split(X, y):
        assert y.iloc[val].value_counts().tolist() == [10, 10, 10]
    assert all(type(PROBLEMS[f].cv_splitter(3, 0)) is KFold for f in ("regression", "clustering", "reconstruction"))


@pytest.mark.parametrize(
    "family, figure, text",
    [("classification", "confusion_matrix.png", "classification_report.txt"),
     ("regression", "predicted_vs_actual.png", None),
     ("clustering", "clusters.png", None),
     ("reconstruction", "reconstructions.png", None)],
)
def test_evaluate_model_returns_metrics_baselines_and_plots(family, figure, text):
    X, labels = _blobs()
    y, model = _fitted(family, X, labels)
    result = evaluate.evaluate_model(PROBLEMS[family], model, Split(X, X, y, y), task="t", seed=0)
    primary = {"classification": "accuracy", "regression": "r2", "clustering": "silhouette",
               "reconstruction": "reconstruction_mse"}[family]
    assert primary in result.metrics and f"baseline_{primary}" in result.metrics
    assert list(result.figures) == [figure]
    assert list(result.texts) == ([text] if text else [])
    if text:
        assert "precision" in result.texts[text]
    for fig in result.figures.values():
        plt.close(fig)


def test_evaluate_model_scores_every_candidate_and_adds_the_task_report():
    X, y = _blobs()
    split = Split(X.iloc[::2], X.iloc[1::2], y.iloc[::2], y.iloc[1::2])
    features = Pipeline([("id", FunctionTransformer())])
    factories = {"knn": KNeighborsClassifier, "logistic": LogisticRegression}
    choice = Choice(model="knn", params={"n_neighbors": 1}, candidates={"knn": {"n_neighbors": 1}, "logistic": {}},
                    cv={}, study=None)
    model = train.train_choice(factories, choice, features, split.X_train, split.y_train, seed=0)
    fitted = dict(train.fit_candidates(factories, choice, model, features, split.X_train, split.y_train, seed=0))
    assert fitted["knn"] is model and isinstance(fitted["logistic"][-1], LogisticRegression)
    candidates = train.fit_candidates(factories, choice, model, features, split.X_train, split.y_train, seed=0)
    result = evaluate.evaluate_model(PROBLEMS["classification"], model, split, task="t", seed=0, primary="accuracy",
                                     candidates=candidates, report=lambda m, X_, y_: ({"rows": float(len(X_))}, {}))
    assert result.metrics["candidate_knn_accuracy"] == result.metrics["accuracy"]
    assert result.metrics["candidate_logistic_accuracy"] == PROBLEMS["classification"].score(
        fitted["logistic"], split.X_test, split.y_test)["accuracy"]
    assert result.metrics["rows"] == 45.0
    plt.close("all")
    alone = Choice(model="knn", params={}, candidates={"knn": {}}, cv={}, study=None)
    assert list(train.fit_candidates(factories, alone, model, features, split.X_train, split.y_train, seed=0)) == []


def test_scoring_never_imports_matplotlib():
    """A tuning fold or a champion re-score draws nothing, so it must not pay for matplotlib."""
    code = ("import sys; import pandas as pd; from sklearn.linear_model import LinearRegression; "
            "from coursework.problems import PROBLEMS; X = pd.DataFrame({'x': [0.0, 1.0, 2.0]}); y = X['x'] * 2; "
            "PROBLEMS['regression'].score(LinearRegression().fit(X, y), X, y); print('matplotlib' in sys.modules)")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"
