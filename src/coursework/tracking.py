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
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from coursework import artifacts, fitted, fsutil, locks
from coursework.tracking_client import _client, mlflow_client  # noqa: F401 - one client per process, shared by the family

# a version's completeness and aliases live in tracking_versions; their names stay importable from here
from coursework.tracking_versions import (COMPLETE, INCOMPLETE, _complete, alias_version,  # noqa: F401
                                         complete_version, registered_versions, set_alias)
# reading a registered model back lives in tracking_models; its names stay importable from here
from coursework.tracking_models import (  # noqa: F401
    artifact_hashes,
    cast_to_signature,
    load_alias_estimator,
    load_alias_model,
    load_run_dict,
    load_version_model,
    predict_frame,
    verified_copy,
)

STORE_DIR = "mlruns"
MIGRATE_WAIT_S = 300.0  # creating MLflow's tables takes ~10 s on a loaded 2-core machine


def default_tracking_uri(root: Path) -> str:
    return f"sqlite:///{(root / STORE_DIR / 'mlflow.db').resolve()}"


def configure(root: Path) -> str:
    """Point MLflow at $MLFLOW_TRACKING_URI, a running `coursework up` stack's server, or the SQLite store under mlruns/."""
    from coursework.stack import attach_tracking

    # mlflow.set_tracking_uri/set_registry_uri export their variables: a value set here is not the user's
    ours = set(filter(None, os.environ.get("_COURSEWORK_DEFAULT_URIS", "").split("\n")))
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if not uri or uri in ours:
        (root / STORE_DIR).mkdir(parents=True, exist_ok=True)
        uri = attach_tracking(root) or default_tracking_uri(root)
        os.environ["_COURSEWORK_DEFAULT_URIS"] = "\n".join(ours | {uri})
    registry = os.environ.get("MLFLOW_REGISTRY_URI")
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri if not registry or registry in ours else registry)
    ensure_store(uri, root)
    return uri


_ENSURED: set[str] = set()  # stores this process has found or created: a store's tables do not go away


def ensure_store(uri: str, root: Path) -> None:
    """Create or find MLflow's tables once, under a lock, before this process uses a database store.

    Two processes opening a fresh store at once otherwise race on its migration ("table already exists").
    A tracking server migrates its own store, so http(s) URIs need nothing here.
    """
    if uri in _ENSURED or (locks.sqlite_path(uri) is None and not locks.is_postgres(uri)):
        return
    with locks.store_lock(uri, "migrate", what="MLflow store migration", fallback_dir=root / STORE_DIR,
                          timeout=MIGRATE_WAIT_S):
        _client(uri, uri).search_experiments(max_results=1)  # builds the store: migrates an empty DB
    _ENSURED.add(uri)


def current_uri() -> str:
    return mlflow.get_tracking_uri()


def _already_exists(exc: MlflowException) -> bool:
    return exc.error_code in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS")


NOTE_TAG = "mlflow.note.content"  # what the MLflow UI shows as an experiment's description


def ensure_experiment(task: str, root: Path, description: str = "") -> str:
    """One experiment per task, described by the task's spec; local stores keep artefacts under mlruns/artifacts/<task>."""
    from coursework.stack import StackDown, serves_local_store

    client, uri = mlflow_client(), mlflow.get_tracking_uri()
    found = client.get_experiment_by_name(task)
    if found is None:
        location = None
        # the project's own store, directly or through this machine's SQLite stack: artefacts as files under
        # mlruns/artifacts/<task>, so runs with the stack down can still write them (set_tracking_uri also
        # exports the env var); a shared stack's server keeps its default, proxied mlflow-artifacts:/ location
        if uri == default_tracking_uri(root) or serves_local_store(root, uri):
            location = (root / STORE_DIR / "artifacts" / task).resolve().as_uri()
        try:
            return client.create_experiment(task, artifact_location=location,
                                            tags={NOTE_TAG: description} if description else None)
        except MlflowException as exc:  # a concurrent run created it between our read and our create
            if not _already_exists(exc):
                raise
            found = client.get_experiment_by_name(task)
    if found.artifact_location.startswith("mlflow-artifacts:") and not uri.startswith(("http://", "https://")):
        raise StackDown(f"experiment {task} keeps its artefacts on a tracking server ({found.artifact_location}), "
                        f"which only that server can reach; start it (`coursework up`) or set MLFLOW_TRACKING_URI to it")
    if description and found.tags.get(NOTE_TAG) != description:  # the spec's wording changed since
        client.set_experiment_tag(found.experiment_id, NOTE_TAG, description)
    return found.experiment_id


def git_commit(root: Path) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


@contextmanager
def task_run(task: str, root: Path, *, run_name: str, tags: Mapping[str, str], description: str = "") -> Iterator[str]:
    """An MLflow run in the task's experiment, tagged with this process; marked FAILED if the block raises."""
    experiment_id = ensure_experiment(task, root, description)
    # host, pid and start time: a later sweep can tell this run from a live one if the process is killed
    owned = {**dict(tags), **fsutil.process_tags()}
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=owned) as run:
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


def _pin(name: str) -> str:
    """name==version for a model's requirements, without a local label (`+cpu` is not on PyPI)."""
    return f"{name}=={metadata.version(name).split('+')[0]}"


def _requirements() -> list[str]:
    names = ("scikit-learn", "pandas", "numpy", "skops")
    return [_pin(n) for n in names]


def _signature(X_train: pd.DataFrame, output: Any):
    """The input schema from the whole training frame's dtypes (a few rows would miss blanks and types)."""
    import warnings

    with warnings.catch_warnings():  # the int-column hint: training columns without blanks are ints by design
        warnings.simplefilter("ignore", UserWarning)
        return infer_signature(X_train, output)


def log_sklearn_model(model: Any, X_train: pd.DataFrame) -> str:
    """Log a fitted sklearn Pipeline as skops with its trusted types, signature and input example; returns its URI."""
    example = X_train.head(5)
    _, trusted = artifacts.dump_skops(model)
    info = mlflow.sklearn.log_model(
        model,
        name="model",
        signature=_signature(X_train, model.predict(example)),
        input_example=example,
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
        skops_trusted_types=trusted,
        pip_requirements=_requirements(),
    )
    return info.model_uri


def log_model(model: Any, X_train: pd.DataFrame) -> str:
    """Log a fitted Pipeline the way its last step's flavour asks (Keras: tracking_keras); returns its URI."""
    if fitted.flavor(model) == "keras":
        from coursework import (
            tracking_keras,  # imports nothing of Keras until it saves the network
        )

        return tracking_keras.log_keras_pipeline(model, X_train)
    return log_sklearn_model(model, X_train)


def log_training(model: Any) -> None:
    """How the model trained, if its last step kept a record: learning curves as step metrics, the device as tags."""
    if fitted.flavor(model) == "keras" and fitted.history(model):
        from coursework import tracking_keras

        tracking_keras.log_keras_training(model[-1] if hasattr(model, "steps") else model)


def register_version(model_uri: str, task: str, tags: Mapping[str, Any]) -> int:
    """A new version of the registered model named after the task, tagged for lineage and its files' sha256."""
    record = artifacts.hash_tags(artifact_hashes(model_uri))  # tagged in the same call: never a version without it
    version = mlflow.register_model(model_uri, task, tags={**{k: str(v) for k, v in tags.items()}, **record})
    return int(version.version)
