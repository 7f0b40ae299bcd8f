"""problems: one object per problem family, with its metrics, baseline, figures, CV splitter and metric directions.

Adding a family is one class here (and its metric functions in evaluate, where every metric is computed).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, ClassVar, Mapping

import numpy as np

from coursework import evaluate
from coursework.errors import ConfigError


def _latent(model, X) -> np.ndarray:
    """X through the model's preprocessing: what a clusterer or an autoencoder sees."""
    return np.asarray(model[:-1].transform(X), dtype=float)


class Problem:
    """A problem family: what it measures on a fitted model, its naive baseline, its plots and its folds."""

    name: ClassVar[str]
    classifier: ClassVar[bool] = False  # folds and hold-outs stratified by the target
    directions: ClassVar[Mapping[str, bool]]  # every metric score() reports -> greater is better

    def score(self, model, X, y) -> dict[str, float]:
        """The metrics of one fitted model on (X, y): tuning folds, the test split and champion re-scoring alike."""
        raise NotImplementedError

    def baseline(self, model, split, *, seed: int) -> dict[str, float]:
        """The naive model's metrics on the test split (evaluate prefixes them baseline_)."""
        raise NotImplementedError

    def figures(self, model, X, y, *, task: str) -> tuple[dict[str, Any], dict[str, str]]:
        """({file name: figure}, {file name: text}): the family's standard plot and reports on the test split."""
        raise NotImplementedError

    def greater_is_better(self, metric: str) -> bool:
        return self.directions[metric]

    def best(self, scores: Mapping[str, float], metric: str) -> str:
        """The key of the best score by metric's direction."""
        return max(scores, key=scores.get) if self.greater_is_better(metric) else min(scores, key=scores.get)

    def cv_splitter(self, folds: int, seed: int):
        """The tuning folds: stratified for a classifier, plain shuffled folds otherwise."""
        from sklearn.model_selection import KFold, StratifiedKFold

        return (StratifiedKFold if self.classifier else KFold)(n_splits=folds, shuffle=True, random_state=seed)


class Classification(Problem):
    name = "classification"
    classifier = True
    directions = MappingProxyType({"accuracy": True, "precision_macro": True, "recall_macro": True,
                                   "f1_macro": True, "f1": True, "roc_auc": True})

    def score(self, model, X, y) -> dict[str, float]:
        return evaluate.score_classifier(model, X, y)

    def baseline(self, model, split, *, seed: int) -> dict[str, float]:
        from sklearn.dummy import DummyClassifier  # the majority class

        dummy = DummyClassifier(strategy="most_frequent").fit(split.X_train, split.y_train)
        return evaluate.score_classifier(dummy, split.X_test, split.y_test)

    def figures(self, model, X, y, *, task: str):
        from coursework import figures

        y_pred = model.predict(X)
        return ({"confusion_matrix.png": figures.confusion_figure(y, y_pred, f"{task}: test confusion matrix")},
                {"classification_report.txt": evaluate.classification_report(y, y_pred)})


class Regression(Problem):
    name = "regression"
    directions = MappingProxyType({"r2": True, "mse": False, "rmse": False, "mae": False, "mape": False})

    def score(self, model, X, y) -> dict[str, float]:
        return evaluate.regression_metrics(y, model.predict(X))

    def baseline(self, model, split, *, seed: int) -> dict[str, float]:
        from sklearn.dummy import DummyRegressor  # the training mean

        dummy = DummyRegressor(strategy="mean").fit(split.X_train, split.y_train)
        return evaluate.regression_metrics(split.y_test, dummy.predict(split.X_test))

    def figures(self, model, X, y, *, task: str):
        from coursework import figures

        return {"predicted_vs_actual.png": figures.predicted_actual_figure(y, model.predict(X),
                                                                           f"{task}: test predictions")}, {}


class Clustering(Problem):
    name = "clustering"
    directions = MappingProxyType({"silhouette": True, "inertia": False, "ari": True})

    def score(self, model, X, y) -> dict[str, float]:
        Z = _latent(model, X)
        labels = model[-1].predict(Z)
        centers = getattr(model[-1], "cluster_centers_", None)  # k-means: its inertia on these rows
        inertia = None if centers is None else evaluate.inertia(Z, labels, centers)
        return evaluate.clustering_metrics(Z, labels, inertia=inertia, y_true=y)

    def baseline(self, model, split, *, seed: int) -> dict[str, float]:
        """Random clusters: each test row given one of the model's k labels at random (seeded)."""
        Z = _latent(model, split.X_test)
        k = int(getattr(model[-1], "n_clusters", 2))
        labels = np.random.default_rng(seed).integers(0, k, size=len(Z))
        centers = np.stack([Z[labels == c].mean(axis=0) if (labels == c).any() else Z.mean(axis=0) for c in range(k)])
        return evaluate.clustering_metrics(Z, labels, inertia=evaluate.inertia(Z, labels, centers), y_true=split.y_test)

    def figures(self, model, X, y, *, task: str):
        from coursework import figures

        Z = _latent(model, X)
        return {"clusters.png": figures.cluster_figure(Z, model[-1].predict(Z), f"{task}: test clusters")}, {}


class Reconstruction(Problem):
    name = "reconstruction"
    directions = MappingProxyType({"reconstruction_mse": False, "reconstruction_mae": False})

    def score(self, model, X, y) -> dict[str, float]:
        Z = _latent(model, X)
        return evaluate.reconstruction_metrics(Z, model[-1].predict(Z))

    def baseline(self, model, split, *, seed: int) -> dict[str, float]:
        """Every test input reconstructed as the mean training input."""
        mean = _latent(model, split.X_train).mean(axis=0)
        Z = _latent(model, split.X_test)
        return evaluate.reconstruction_metrics(Z, np.broadcast_to(mean, Z.shape))

    def figures(self, model, X, y, *, task: str):
        from coursework import figures

        Z = _latent(model, X)
        return {"reconstructions.png": figures.reconstructions_figure(Z, model[-1].predict(Z),
                                                                      f"{task}: test images")}, {}


PROBLEMS: dict[str, Problem] = {p.name: p for p in (Classification(), Regression(), Clustering(), Reconstruction())}

# metric -> greater is better, over every family: what a gate or a champion comparison may name
METRIC_DIRECTION: dict[str, bool] = {m: up for p in PROBLEMS.values() for m, up in p.directions.items()}


def problem_for(name: str) -> Problem:
    """The family object of a TaskSpec.problem name."""
    try:
        return PROBLEMS[name]
    except KeyError:
        raise ConfigError(f"problem type '{name}' is not one of {sorted(PROBLEMS)}") from None
