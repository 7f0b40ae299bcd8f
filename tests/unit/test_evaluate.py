"""evaluate: metric functions on small inputs with known answers, and the baseline beside every result."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from coursework import evaluate

approx = pytest.approx


@pytest.mark.parametrize(
    "y_true, y_pred, classes, expected",
    [
        (list("abab"), list("abbb"), None,
         {"accuracy": 0.75, "precision_macro": (1 + 2 / 3) / 2, "recall_macro": 0.75, "f1_macro": (2 / 3 + 0.8) / 2}),
        # binary: also F1 of the positive (second) class
        (list("abab"), list("abbb"), ["a", "b"],
         {"accuracy": 0.75, "f1": 0.8}),
        ([0, 1, 2, 0, 1, 2], [0, 1, 2, 0, 1, 2], [0, 1, 2],
         {"accuracy": 1.0, "precision_macro": 1.0, "recall_macro": 1.0, "f1_macro": 1.0}),
        # a class never predicted counts as zero precision, not an error
        ([0, 0, 1, 1], [0, 0, 0, 0], None,
         {"accuracy": 0.5, "precision_macro": 0.25, "recall_macro": 0.5}),
    ],
)
def test_classification_metrics_known_values(y_true, y_pred, classes, expected):
    found = evaluate.classification_metrics(y_true, y_pred, classes=classes)
    for key, value in expected.items():
        assert found[key] == approx(value), key
    assert all(isinstance(v, float) for v in found.values())


def test_roc_auc_only_for_binary_with_scores():
    found = evaluate.classification_metrics([0, 0, 1, 1], [0, 1, 0, 1], y_score=[0.1, 0.4, 0.35, 0.8], classes=[0, 1])
    assert found["roc_auc"] == approx(0.75)
    multi = evaluate.classification_metrics([0, 1, 2], [0, 1, 2], y_score=[0.1, 0.2, 0.3], classes=[0, 1, 2])
    assert "roc_auc" not in multi and "f1" not in multi


@pytest.mark.parametrize(
    "y_true, y_pred, expected",
    [
        ([1, 2, 3, 4], [1, 2, 3, 5], {"mse": 0.25, "rmse": 0.5, "mae": 0.25, "r2": 0.8, "mape": 0.0625}),
        ([1.0, 2.0, 4.0], [1.0, 2.0, 4.0], {"mse": 0.0, "rmse": 0.0, "mae": 0.0, "r2": 1.0, "mape": 0.0}),
        ([2, 4], [3, 3], {"mse": 1.0, "rmse": 1.0, "mae": 1.0, "r2": 0.0, "mape": 0.375}),  # the mean predictor
    ],
)
def test_regression_metrics_known_values(y_true, y_pred, expected):
    found = evaluate.regression_metrics(y_true, y_pred)
    assert set(found) == {"r2", "mse", "rmse", "mae", "mape"}
    for key, value in expected.items():
        assert found[key] == approx(value), key


SQUARE = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])


def test_clustering_metrics_known_values():
    found = evaluate.clustering_metrics(SQUARE, [0, 0, 1, 1], inertia=1.0, y_true=[1, 1, 0, 0])
    b = (10 + math.sqrt(101)) / 2  # mean distance to the other cluster, the same for every point
    assert found["silhouette"] == approx(1 - 1 / b)
    assert found["ari"] == approx(1.0)  # a relabelled perfect clustering
    assert found["inertia"] == 1.0


def test_clustering_metrics_single_cluster_and_no_labels():
    found = evaluate.clustering_metrics(SQUARE, [0, 0, 0, 0])
    assert found == {"silhouette": -1.0}


def test_baseline_classification_is_majority_class():
    X_train = pd.DataFrame({"x": [0.0, 1.0, 2.0]})
    X_test = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    found = evaluate.baseline_metrics("classification", None, X_train, pd.Series(list("aab")), X_test,
                                      pd.Series(list("abbb")), seed=0)
    assert found["baseline_accuracy"] == approx(0.25)
    assert found["baseline_recall_macro"] == approx(0.5)
    assert all(k.startswith("baseline_") for k in found)


def test_baseline_regression_is_the_train_mean():
    X = pd.DataFrame({"x": [0.0, 1.0]})
    found = evaluate.baseline_metrics("regression", None, X, pd.Series([1.0, 3.0]), X, pd.Series([2.0, 4.0]), seed=0)
    assert found["baseline_mse"] == approx(2.0)
    assert found["baseline_mae"] == approx(1.0)
    assert found["baseline_r2"] == approx(-1.0)
    assert set(found) == {f"baseline_{k}" for k in ("r2", "mse", "rmse", "mae", "mape")}


def _blobs(seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[0, 0], [8, 8], [0, 8]])
    labels = np.repeat([0, 1, 2], 30)
    X = pd.DataFrame(centers[labels] + rng.normal(scale=0.5, size=(90, 2)), columns=["a", "b"])
    return X, pd.Series(labels)


def _kmeans(X):
    return Pipeline([("features", FunctionTransformer()), ("model", KMeans(n_clusters=3, n_init=4, random_state=0))]).fit(X)


def test_baseline_clustering_is_seeded_random_assignment():
    X, y = _blobs()
    model = _kmeans(X)
    first = evaluate.baseline_metrics("clustering", model, X, y, X, y, seed=3)
    again = evaluate.baseline_metrics("clustering", model, X, y, X, y, seed=3)
    assert first == again
    assert set(first) == {"baseline_silhouette", "baseline_inertia", "baseline_ari"}
    real = evaluate.score_model("clustering", model, X, y)
    assert real["inertia"] < first["baseline_inertia"]
    assert real["silhouette"] > first["baseline_silhouette"]
    assert real["ari"] > first["baseline_ari"]


def test_score_model_clustering_inertia_matches_kmeans():
    X, y = _blobs()
    model = _kmeans(X)
    found = evaluate.score_model("clustering", model, X, y)
    assert found["inertia"] == approx(model[-1].inertia_, rel=1e-6)
    assert found["ari"] == approx(1.0)


def test_score_model_binary_classifier_has_roc_auc():
    X = pd.DataFrame({"x": np.r_[np.linspace(0, 1, 20), np.linspace(2, 3, 20)]})
    y = pd.Series(["no"] * 20 + ["yes"] * 20)
    found = evaluate.score_model("classification", LogisticRegression().fit(X, y), X, y)
    assert found["accuracy"] == 1.0 and found["roc_auc"] == 1.0 and found["f1"] == 1.0


@pytest.mark.parametrize(
    "problem, figure, text",
    [("classification", "confusion_matrix.png", "classification_report.txt"),
     ("regression", "predicted_vs_actual.png", None),
     ("clustering", "clusters.png", None)],
)
def test_evaluate_model_returns_metrics_baselines_and_plots(problem, figure, text):
    X, labels = _blobs()
    if problem == "classification":
        y, model = labels, Pipeline([("f", FunctionTransformer()), ("m", LogisticRegression())]).fit(X, labels)
    elif problem == "regression":
        y = X["a"] * 2 + 1
        model = Pipeline([("f", FunctionTransformer()), ("m", LinearRegression())]).fit(X, y)
    else:
        y, model = labels, _kmeans(X)
    result = evaluate.evaluate_model(problem, model, X, y, X, y, task="t", seed=0)
    primary = {"classification": "accuracy", "regression": "r2", "clustering": "silhouette"}[problem]
    assert primary in result.metrics and f"baseline_{primary}" in result.metrics
    assert list(result.figures) == [figure]
    if text:
        assert "precision" in result.texts[text]
    for fig in result.figures.values():
        plt.close(fig)
