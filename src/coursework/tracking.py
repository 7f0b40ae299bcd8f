"""tracking: the one module that talks to MLflow (runs, artefacts, the registry and its aliases)."""

from __future__ import annotations

import json
import os
import subprocess
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator, Mapping

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

STORE_DIR = "mlruns"


def default_tracking_uri(root: Path) -> str:
    return f"sqlite:///{(root / STORE_DIR / 'mlflow.db').resolve()}"


def configure(root: Path) -> str:
    """Point MLflow at $MLFLOW_TRACKING_URI, or at the project's SQLite store under mlruns/."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        (root / STORE_DIR).mkdir(parents=True, exist_ok=True)
        uri = default_tracking_uri(root)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(os.environ.get("MLFLOW_REGISTRY_URI", uri))
    return uri


def ensure_experiment(task: str, root: Path) -> str:
    """One experiment per task; local stores keep artefacts under mlruns/artifacts/<task>."""
    client = MlflowClient()
    found = client.get_experiment_by_name(task)
    if found is not None:
        return found.experiment_id
    location = None
    if mlflow.get_tracking_uri().startswith("sqlite:") and not os.environ.get("MLFLOW_TRACKING_URI"):
        location = (root / STORE_DIR / "artifacts" / task).resolve().as_uri()
    return client.create_experiment(task, artifact_location=location)


def git_commit(root: Path) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


@contextmanager
def task_run(task: str, root: Path, *, run_name: str, tags: Mapping[str, str]) -> Iterator[str]:
    """An MLflow run in the task's experiment; marked FAILED if the block raises."""
    experiment_id = ensure_experiment(task, root)
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=dict(tags)) as run:
        yield run.info.run_id


def log_params(params: Mapping[str, Any]) -> None:
    flat = pd.json_normalize(json.loads(json.dumps(params, default=str)), sep=".").to_dict("records")[0]
    mlflow.log_params({k: (json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in flat.items()})


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    mlflow.log_metrics({k: float(v) for k, v in metrics.items()}, step=step)


def set_tags(tags: Mapping[str, Any]) -> None:
    mlflow.set_tags({k: str(v) for k, v in tags.items()})


def log_figure(figure: Any, name: str) -> None:
    import matplotlib.pyplot as plt

    mlflow.log_figure(figure, f"plots/{name}")
    plt.close(figure)


def log_text(text: str, name: str) -> None:
    mlflow.log_text(text, name)


def log_dict(data: Mapping[str, Any], name: str) -> None:
    mlflow.log_dict(json.loads(json.dumps(data, default=str)), name)


def _requirements() -> list[str]:
    names = ("scikit-learn", "pandas", "numpy", "cloudpickle")
    return [f"{n}=={metadata.version(n)}" for n in names]


def log_sklearn_model(model: Any, X_example: pd.DataFrame) -> str:
    """Log a fitted sklearn Pipeline with its signature and input example; returns its model URI."""
    example = X_example.head(5)
    signature = infer_signature(example, model.predict(example))
    info = mlflow.sklearn.log_model(
        model,
        name="model",
        signature=signature,
        input_example=example,
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
        pip_requirements=_requirements(),
    )
    return info.model_uri


def register_version(model_uri: str, task: str, tags: Mapping[str, Any]) -> int:
    """A new version of the registered model named after the task, tagged for lineage."""
    version = mlflow.register_model(model_uri, task, tags={k: str(v) for k, v in tags.items()})
    return int(version.version)


def set_alias(task: str, alias: str, version: int) -> None:
    MlflowClient().set_registered_model_alias(task, alias, str(version))


def tag_version(task: str, version: int, tags: Mapping[str, Any]) -> None:
    client = MlflowClient()
    for key, value in tags.items():
        client.set_model_version_tag(task, str(version), key, str(value))


def alias_version(task: str, alias: str = "champion") -> dict[str, Any] | None:
    """The version holding an alias with its run's metrics and params, or None if there is none."""
    client = MlflowClient()
    try:
        version = client.get_model_version_by_alias(task, alias)
    except MlflowException:
        return None
    run = client.get_run(version.run_id) if version.run_id else None
    return {
        "version": int(version.version),
        "run_id": version.run_id,
        "source": version.source,
        "tags": dict(version.tags),
        "metrics": dict(run.data.metrics) if run else {},
        "params": dict(run.data.params) if run else {},
        "artifact_uri": run.info.artifact_uri if run else None,
    }


def registered_versions(task: str) -> list[int]:
    try:
        return sorted(int(v.version) for v in MlflowClient().search_model_versions(f"name = '{task}'"))
    except MlflowException:
        return []


def load_alias_model(task: str, alias: str = "champion"):
    """`models:/<task>@<alias>` as an MLflow pyfunc model."""
    return mlflow.pyfunc.load_model(f"models:/{task}@{alias}")
