"""evaluate: every metric the project reports is computed here, on the held-out test split."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
from sklearn import metrics as skm

from coursework import fitted


@dataclass
class Evaluation:
    """Metrics (baseline_* beside them), figures and text reports of one model on the test split."""

    metrics: dict[str, float]
    figures: dict[str, Any] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)


def classification_metrics(y_true, y_pred, y_score=None, classes=None) -> dict[str, float]:
    out = {
        "accuracy": skm.accuracy_score(y_true, y_pred),
        "precision_macro": skm.precision_score(y_true, y_pred, average="macro", zero_division=0),
        "recall_macro": skm.recall_score(y_true, y_pred, average="macro", zero_division=0),
        "f1_macro": skm.f1_score(y_true, y_pred, average="macro", zero_division=0),
    }
    if classes is not None and len(classes) == 2:
        positive = classes[1]
        out["f1"] = skm.f1_score(y_true, y_pred, pos_label=positive, zero_division=0)
        if y_score is not None:
            out["roc_auc"] = skm.roc_auc_score(np.asarray(y_true) == positive, y_score)
    return {k: float(v) for k, v in out.items()}


def regression_metrics(y_true, y_pred) -> dict[str, float]:
    mse = skm.mean_squared_error(y_true, y_pred)
    return {
        "r2": float(skm.r2_score(y_true, y_pred)),
        "mse": float(mse),
        "rmse": float(np.sqrt(mse)),
        "mae": float(skm.mean_absolute_error(y_true, y_pred)),
        "mape": float(skm.mean_absolute_percentage_error(y_true, y_pred)),
    }


def clustering_metrics(Z, labels, *, inertia: float | None = None, y_true=None) -> dict[str, float]:
    out = {"silhouette": float(skm.silhouette_score(Z, labels)) if len(set(labels)) > 1 else -1.0}
    if inertia is not None:
        out["inertia"] = float(inertia)
    if y_true is not None:
        out["ari"] = float(skm.adjusted_rand_score(y_true, labels))
    return out


def _positive_score(model, X, classes):
    if classes is None or len(classes) != 2:
        return None
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)[:, 1]
    if hasattr(model, "decision_function"):
        return model.decision_function(X)
    return None


def score_classifier(model, X, y) -> dict[str, float]:
    classes = getattr(model, "classes_", None)
    return classification_metrics(y, model.predict(X), _positive_score(model, X, classes), classes)


def inertia(Z, labels, centers) -> float:
    """The summed squared distance of each point to its cluster's center (k-means' own objective)."""
    return float(((np.asarray(Z) - np.asarray(centers)[labels]) ** 2).sum())


def classification_report(y_true, y_pred) -> str:
    return skm.classification_report(y_true, y_pred, zero_division=0)


def reconstruction_metrics(Z, Z_hat) -> dict[str, float]:
    """How far an autoencoder's reconstructions are from its (preprocessed) inputs."""
    Z, Z_hat = np.asarray(Z, dtype=float), np.asarray(Z_hat, dtype=float).reshape(np.shape(Z))
    return {"reconstruction_mse": float(((Z - Z_hat) ** 2).mean()), "reconstruction_mae": float(np.abs(Z - Z_hat).mean())}


def within_tolerance(y_true, y_pred, tolerance: float) -> float:
    """The share of predictions within +-tolerance of the truth (sequence_lstm: +-1)."""
    return float(np.mean(np.abs(np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)) <= tolerance))


def training_metrics(estimator) -> dict[str, float]:
    """An estimator's training record, if it kept one: speed, memory, epochs, best epoch (coursework.deep)."""
    stats = fitted.stats(estimator)
    keys = ("samples_per_sec", "peak_memory_mb", "train_seconds", "epochs_run", "best_epoch", "n_parameters")
    return {k: float(stats[k]) for k in keys if k in stats}


def evaluate_model(problem, model, split, *, task: str, seed: int, primary: str = "",
                   candidates: Iterable[tuple[str, Any]] = (), report=None) -> Evaluation:
    """Test metrics with their baseline_* twins, the family's plots and reports, and the task's own report.

    problem is the task's coursework.problems.Problem; candidates the (name, fitted model) of every candidate,
    scored side by side as candidate_<name>_<primary>; report the TaskSpec's optional extras.
    """
    found = problem.score(model, split.X_test, split.y_test)
    found.update({f"baseline_{k}": v for k, v in problem.baseline(model, split, seed=seed).items()})
    figures, texts = problem.figures(model, split.X_test, split.y_test, task=task)
    result = Evaluation(metrics=found, figures=figures, texts=texts)
    if fitted.history(model):  # an estimator trained epoch by epoch: how it trained
        from coursework.figures import learning_curve_figure

        result.metrics.update(training_metrics(model[-1]))
        result.figures["learning_curves.png"] = learning_curve_figure(fitted.history(model), task)
    for name, other in candidates:
        result.metrics[f"candidate_{name}_{primary}"] = problem.score(other, split.X_test, split.y_test)[primary]
    if report:
        extra_metrics, extra_figures = report(model, split.X_test, split.y_test)
        result.metrics.update(extra_metrics)
        result.figures.update(extra_figures)
    return result
