"""What the deep benchmarks share: a task's training split and its model, as the training flow builds them."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OFFLINE_DEEP_TASKS = ("boston_dense", "wine_dense", "mnist_dense", "mnist_lenet", "fashion_autoencoder",
                      "sequence_lstm", "stock_lstm")


def prepared(task: str, params_path: Path) -> dict:
    """The task's default data split and preprocessing (fitted on the training split) and its first model's settings."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, str(REPO))
    from coursework import features
    from flows.context import make_context

    ctx = make_context(task, params_path, REPO)
    frame = ctx.spec.load_default(**dict(ctx.params.source))
    parts, pipeline = features.task_split(ctx.spec, ctx.params, frame)
    model_name, hyperparams = next(iter(ctx.params.models.items()))
    parts = (parts.X_train, parts.X_test, parts.y_train, parts.y_test)  # task_split returns a Split now
    return {"ctx": ctx, "parts": parts, "features": pipeline, "model": model_name,
            "factory": ctx.spec.models[model_name], "hyperparams": dict(hyperparams)}
