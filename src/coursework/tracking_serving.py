"""tracking_serving: what the web app reads from MLflow, and the serving metadata a version is registered with.

The app reads only the registry and the store: the metadata a form needs (feature defaults, dtypes, class
labels, the task's anchor) is logged into the version's run at register time, never read from pipelines/.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException

from coursework import tracking

METADATA = "serving/metadata.json"  # in the version's run: versions registered before it have none


def _default(column: pd.Series, numeric: bool) -> Any:
    """The training split's median (numeric) or mode (anything else), as a JSON value; None if all blank."""
    values = column.dropna()
    if values.empty:
        return None
    if numeric:
        return float(values.median())
    mode = values.mode().iloc[0]  # ties: the smallest, so the default does not depend on row order
    return mode.item() if hasattr(mode, "item") else mode


def serving_metadata(spec, X_train: pd.DataFrame, y_train: pd.Series | None) -> dict[str, Any]:
    """Per-feature dtype and default, the class labels, and the task's own words, for a form over the model."""
    features = []
    for name, dtype in X_train.dtypes.items():
        numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        features.append({"name": str(name), "dtype": str(dtype), "kind": "numeric" if numeric else "categorical",
                         "default": _default(X_train[name], numeric)})
    classes = None
    if spec.problem == "classification" and y_train is not None:
        classes = sorted(pd.Series(y_train).dropna().unique().tolist(), key=str)
    return {"task": spec.name, "problem": spec.problem, "description": spec.description, "anchor": spec.anchor,
            "primary_metric": spec.primary_metric, "target": spec.target, "features": features, "classes": classes}


def log_serving_metadata(spec, X_train: pd.DataFrame, y_train: pd.Series | None) -> None:
    """Log the serving metadata into the active run, which the version about to be registered comes from."""
    tracking.log_dict(serving_metadata(spec, X_train, y_train), METADATA)


# ---------------------------------------------------------------- reading the registry (the web app)


def use_store(uri: str) -> None:
    """Point this process at the store `coursework app` resolved (a server, or the project's SQLite store)."""
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)


def registered_tasks() -> list[str]:
    """Every registered model's name (one per task), sorted."""
    return sorted(m.name for m in tracking.mlflow_client().search_registered_models())


def versions(task: str) -> list[dict[str, Any]]:
    """Every version of a task, newest first: number, run, registration time (ms), tags."""
    found = tracking.mlflow_client().search_model_versions(f"name = '{task}'")
    rows = [{"version": int(v.version), "run_id": v.run_id, "created_ms": v.creation_timestamp,
             "tags": dict(v.tags)} for v in found]
    return sorted(rows, key=lambda r: -r["version"])


def run_metrics(run_id: str | None) -> dict[str, float]:
    if not run_id:
        return {}
    try:
        return dict(tracking.mlflow_client().get_run(run_id).data.metrics)
    except MlflowException:
        return {}


def metadata(run_id: str | None) -> dict[str, Any] | None:
    """The serving metadata a version's run logged, or None (registered before serving metadata existed)."""
    return tracking.load_run_dict(run_id, METADATA) if run_id else None


def run_files(run_id: str, folder: str = "") -> list[str]:
    """Every artefact path of a run under folder, recursively."""
    out: list[str] = []
    for item in tracking.mlflow_client().list_artifacts(run_id, folder or None):
        out.extend(run_files(run_id, item.path) if item.is_dir else [item.path])
    return out


def run_file(run_id: str, path: str) -> bytes:
    """One artefact's bytes."""
    with tempfile.TemporaryDirectory(prefix="coursework-app-") as tmp:
        local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path, dst_path=tmp)
        return Path(local).read_bytes()


def signature_inputs(model) -> list[tuple[str, str]]:
    """(column, type) of the model's input signature; empty when it logged none."""
    schema = model.metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        return []
    return [(spec.name, str(spec.type.to_pandas())) for spec in schema.inputs]
