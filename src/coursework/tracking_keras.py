"""tracking_keras: MLflow calls for Keras estimators (coursework.deep): the served model as code, learning curves."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.entities import Metric

from coursework import artifacts, tracking
from coursework.tracking_client import mlflow_client

KERAS_PYFUNC = Path(__file__).with_name("keras_pyfunc.py")  # the served Keras model, logged as code
BATCH = 1000  # MLflow takes at most 1000 metrics per batch


def _keras_requirements() -> list[str]:
    from coursework.deep import keras_module

    backend = keras_module().backend.backend()
    names = ["keras", {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax"}.get(backend, "tensorflow")]
    return tracking._requirements() + [tracking._pin(n) for n in names]  # noqa: SLF001 - one pin rule


def log_keras_pipeline(model: Any, X_train: pd.DataFrame) -> str:
    """Log a Pipeline ending in a Keras estimator: the network as `.keras`, the rest as skops, served from code."""
    from coursework import deep

    example = X_train.head(5)
    with tempfile.TemporaryDirectory() as tmp:
        network, detached = deep.save_network(model, Path(tmp))
        preprocessing = Path(tmp) / "preprocessing.skops"
        preprocessing.write_bytes(artifacts.dump_skops(detached)[0])
        info = mlflow.pyfunc.log_model(
            name="model", python_model=str(KERAS_PYFUNC),
            artifacts={"preprocessing": str(preprocessing), "network": str(network)},
            signature=tracking._signature(X_train, deep.serve(model, example)),  # noqa: SLF001
            input_example=example, pip_requirements=_keras_requirements(),
        )
    return info.model_uri


def log_keras_training(estimator: Any) -> None:
    """Learning curves as step metrics (train_loss, val_loss, train_/val_<metric> per epoch); the device as tags."""
    history = estimator.training_history()
    names = {"loss": "train_loss", "val_loss": "val_loss"}
    names.update({k: (k if k.startswith("val_") else f"train_{k}") for k in history if k not in names})
    now = int(pd.Timestamp.now().timestamp() * 1000)
    rows = [Metric(names[key], float(v), now, step) for key, values in history.items()
            for step, v in enumerate(values, 1)]
    run_id = mlflow.active_run().info.run_id
    for start in range(0, len(rows), BATCH):
        mlflow_client().log_batch(run_id, metrics=rows[start:start + BATCH])
    stats = estimator.training_stats()
    tracking.set_tags({"device": stats["device"], "keras_backend": stats["backend"], "precision": stats["precision"]})
