"""figures: the standard plots of an evaluation, drawn headless; imported only when a figure is drawn."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless: plots go to files and MLflow, never to a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn import metrics as skm  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402


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
