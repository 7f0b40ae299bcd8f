"""evaluate: every metric the project reports is computed here, on the held-out test split."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: plots go to files and MLflow, never to a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn import metrics as skm  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.dummy import DummyClassifier, DummyRegressor  # noqa: E402

from coursework import fitted  # noqa: E402


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


def _kmeans_inertia(model, Z) -> float | None:
    centers = getattr(model[-1], "cluster_centers_", None)
    if centers is None:
        return None
    labels = model[-1].predict(Z)
    return float(((Z - centers[labels]) ** 2).sum())


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


def score_model(problem: str, model, X, y) -> dict[str, float]:
    """The metrics of one fitted model on (X, y); used for tuning folds and the test split alike."""
    if problem == "reconstruction":
        Z = np.asarray(model[:-1].transform(X), dtype=float)
        return reconstruction_metrics(Z, model[-1].predict(Z))
    if problem == "classification":
        return score_classifier(model, X, y)
    if problem == "regression":
        return regression_metrics(y, model.predict(X))
    Z = np.asarray(model[:-1].transform(X), dtype=float)
    return clustering_metrics(Z, model[-1].predict(Z), inertia=_kmeans_inertia(model, Z), y_true=y)


def baseline_metrics(problem: str, model, X_train, y_train, X_test, y_test, *, seed: int) -> dict[str, float]:
    """The naive model beside every result: majority class, mean predictor or random clusters."""
    if problem == "classification":
        dummy = DummyClassifier(strategy="most_frequent").fit(X_train, y_train)
        found = score_classifier(dummy, X_test, y_test)
    elif problem == "regression":
        dummy = DummyRegressor(strategy="mean").fit(X_train, y_train)
        found = regression_metrics(y_test, dummy.predict(X_test))
    elif problem == "reconstruction":  # every input reconstructed as the mean training input
        mean = np.asarray(model[:-1].transform(X_train), dtype=float).mean(axis=0)
        Z = np.asarray(model[:-1].transform(X_test), dtype=float)
        found = reconstruction_metrics(Z, np.broadcast_to(mean, Z.shape))
    else:
        Z = np.asarray(model[:-1].transform(X_test), dtype=float)
        k = int(getattr(model[-1], "n_clusters", 2))
        labels = np.random.default_rng(seed).integers(0, k, size=len(Z))
        centers = np.stack([Z[labels == c].mean(axis=0) if (labels == c).any() else Z.mean(axis=0) for c in range(k)])
        found = clustering_metrics(Z, labels, inertia=float(((Z - centers[labels]) ** 2).sum()), y_true=y_test)
    return {f"baseline_{k}": v for k, v in found.items()}


def confusion_figure(y_true, y_pred, title: str):
    fig, ax = plt.subplots(figsize=(5, 4.5))
    skm.ConfusionMatrixDisplay.from_predictions(y_true, y_pred, ax=ax, colorbar=False)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def predicted_actual_figure(y_true, y_pred, title: str):
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.scatter(y_true, y_pred, s=14, alpha=0.7)
    lo, hi = float(np.min([np.min(y_true), np.min(y_pred)])), float(np.max([np.max(y_true), np.max(y_pred)]))
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="perfect")
    ax.set(xlabel="actual", ylabel="predicted", title=title)
    ax.legend()
    fig.tight_layout()
    return fig


def cluster_figure(Z, labels, title: str):
    points = PCA(n_components=2).fit_transform(Z) if Z.shape[1] > 2 else Z
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.scatter(points[:, 0], points[:, 1], c=labels, s=14, cmap="tab10")
    ax.set(xlabel="component 1", ylabel="component 2", title=title)
    fig.tight_layout()
    return fig


def learning_curve_figure(history: dict, title: str):
    """Train vs validation loss (and metric) per epoch, the decks' over-fitting check."""
    metrics = [k for k in history if k not in ("loss", "val_loss") and not k.startswith("val_")]
    fig, axes = plt.subplots(1, 1 + len(metrics[:1]), figsize=(5 + 4 * len(metrics[:1]), 4), squeeze=False)
    for ax, key in zip(axes[0], ["loss", *metrics[:1]]):
        epochs = np.arange(1, len(history[key]) + 1)
        ax.plot(epochs, history[key], label=f"train {key}")
        if f"val_{key}" in history:
            ax.plot(epochs, history[f"val_{key}"], label=f"validation {key}")
        ax.set(xlabel="epoch", ylabel=key, title=f"{title}: {key}")
        ax.legend()
    fig.tight_layout()
    return fig


def _image_shape(n_features: int) -> tuple[int, ...]:
    side = int(round(np.sqrt(n_features)))
    if side * side == n_features:
        return (side, side)
    side = int(round(np.sqrt(n_features / 3)))
    return (side, side, 3) if 3 * side * side == n_features else (1, n_features)


def reconstructions_figure(Z, Z_hat, title: str, n: int = 10):
    """Originals (top row) next to their reconstructions (bottom row)."""
    Z, Z_hat = np.asarray(Z, dtype=float)[:n], np.asarray(Z_hat, dtype=float)[:n]
    shape = _image_shape(Z.shape[1])
    fig, axes = plt.subplots(2, len(Z), figsize=(1.2 * len(Z), 2.8), squeeze=False)
    for i in range(len(Z)):
        for row, images in enumerate((Z, Z_hat)):
            axes[row, i].imshow(np.clip(images[i].reshape(shape), 0, 1), cmap="gray", vmin=0, vmax=1)
            axes[row, i].axis("off")
    axes[0, 0].set_title("original", fontsize=8, loc="left")
    axes[1, 0].set_title("reconstructed", fontsize=8, loc="left")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def evaluate_model(problem: str, model, X_train, y_train, X_test, y_test, *, task: str, seed: int) -> Evaluation:
    """Test metrics with their baseline_* twins, the standard plot, and the classification report."""
    found = score_model(problem, model, X_test, y_test)
    found.update(baseline_metrics(problem, model, X_train, y_train, X_test, y_test, seed=seed))
    result = Evaluation(metrics=found)
    if problem == "classification":
        y_pred = model.predict(X_test)
        result.figures["confusion_matrix.png"] = confusion_figure(y_test, y_pred, f"{task}: test confusion matrix")
        result.texts["classification_report.txt"] = skm.classification_report(y_test, y_pred, zero_division=0)
    elif problem == "regression":
        y_pred = model.predict(X_test)
        result.figures["predicted_vs_actual.png"] = predicted_actual_figure(y_test, y_pred, f"{task}: test predictions")
    elif problem == "reconstruction":
        Z = np.asarray(model[:-1].transform(X_test), dtype=float)
        result.figures["reconstructions.png"] = reconstructions_figure(Z, model[-1].predict(Z), f"{task}: test images")
    else:
        Z = np.asarray(model[:-1].transform(X_test), dtype=float)
        result.figures["clusters.png"] = cluster_figure(Z, model[-1].predict(Z), f"{task}: test clusters")
    if fitted.history(model):  # an estimator trained epoch by epoch: how it trained
        result.metrics.update(training_metrics(model[-1]))
        result.figures["learning_curves.png"] = learning_curve_figure(fitted.history(model), task)
    return result


def as_frame(values) -> pd.DataFrame:
    """Predictions as a one-column frame, for batch output."""
    return pd.DataFrame({"prediction": np.asarray(values)})
