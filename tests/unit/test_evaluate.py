"""evaluate: metric functions on small inputs with known answers, and the baseline beside every result."""

import math

import numpy as np
import pytest

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


def test_inertia_is_the_summed_squared_distance_to_each_center():
    centers = np.array([[0.0, 0.5], [10.0, 0.5]])
    assert evaluate.inertia(SQUARE, np.array([0, 0, 1, 1]), centers) == approx(4 * 0.25)
    assert evaluate.inertia(SQUARE, np.array([1, 1, 0, 0]), centers) == approx(2 * (100.25 + 100.25))


def test_reconstruction_metrics_known_values():
    found = evaluate.reconstruction_metrics([[0.0, 1.0], [1.0, 1.0]], [[0.0, 0.5], [1.0, 1.0]])
    assert found == {"reconstruction_mse": approx(0.0625), "reconstruction_mae": approx(0.125)}
