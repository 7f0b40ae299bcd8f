"""tracking: the one module that talks to MLflow (runs, artefacts, the registry and its aliases)."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from contextlib import contextmanager
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator, Mapping

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import Model, infer_signature

from coursework import artifacts, fsutil, locks
from coursework.errors import IncompleteVersion, SourceError

STORE_DIR = "mlruns"
KERAS_PYFUNC = Path(__file__).with_name("keras_pyfunc.py")  # the served Keras model, logged as code
COMPLETE = ("registration", "complete")  # the tag a version gets once every lineage tag is on it
INCOMPLETE = "incomplete"  # the tag a sweep puts on a version whose run died before COMPLETE
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


@lru_cache(maxsize=8)
def _client(tracking_uri: str, registry_uri: str) -> MlflowClient:
    return MlflowClient(tracking_uri, registry_uri)


def mlflow_client() -> MlflowClient:
    """This process's one MlflowClient for the configured URIs (made once per URI pair, not once per call)."""
    return _client(mlflow.get_tracking_uri(), mlflow.get_registry_uri())


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


def ensure_experiment(task: str, root: Path) -> str:
    """One experiment per task; local stores keep artefacts under mlruns/artifacts/<task>."""
    client = mlflow_client()
    found = client.get_experiment_by_name(task)
    if found is not None:
        return found.experiment_id
    location = None
    if mlflow.get_tracking_uri() == default_tracking_uri(root):  # set_tracking_uri also exports the env var
        location = (root / STORE_DIR / "artifacts" / task).resolve().as_uri()
    try:
        return client.create_experiment(task, artifact_location=location)
    except MlflowException as exc:  # a concurrent run created it between our read and our create
        if not _already_exists(exc):
            raise
        return client.get_experiment_by_name(task).experiment_id


def git_commit(root: Path) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


@contextmanager
def task_run(task: str, root: Path, *, run_name: str, tags: Mapping[str, str]) -> Iterator[str]:
    """An MLflow run in the task's experiment, tagged with this process; marked FAILED if the block raises."""
    experiment_id = ensure_experiment(task, root)
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


def _download_model(model_uri: str, folder: str) -> Path:
    """A model's files as the artefact store holds them, without the note MLflow's downloader adds."""
    local = Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri, dst_path=folder))
    (local / "registered_model_meta").unlink(missing_ok=True)  # written on our side (name, version): not stored
    return local


def _artifact_hashes(model_uri: str) -> dict[str, str]:
    """sha256 per file of a logged model, as the artefact store holds it now."""
    with tempfile.TemporaryDirectory(prefix="coursework-hash-") as tmp:
        return artifacts.hash_tree(_download_model(model_uri, tmp))


def register_version(model_uri: str, task: str, tags: Mapping[str, Any]) -> int:
    """A new version of the registered model named after the task, tagged for lineage and its files' sha256."""
    record = artifacts.hash_tags(_artifact_hashes(model_uri))  # tagged in the same call: never a version without it
    version = mlflow.register_model(model_uri, task, tags={**{k: str(v) for k, v in tags.items()}, **record})
    return int(version.version)


def complete_version(task: str, version: int) -> None:
    """Mark a version whose lineage tags are all on it: only such a version may take an alias."""
    mlflow_client().set_model_version_tag(task, str(version), *COMPLETE)


def set_alias(task: str, alias: str, version: int) -> None:
    """Point an alias at a version; `champion` only ever at a complete one (what a killed run left is refused)."""
    client = mlflow_client()
    if alias == "champion" and not _complete(client, task, version):
        raise IncompleteVersion(f"{task} version {version} was registered by a run that did not finish "
                                f"(its registration was never completed); it cannot become champion")
    client.set_registered_model_alias(task, alias, str(version))


def _complete(client: MlflowClient, task: str, version: int) -> bool:
    """Marked complete; or, registered before the mark existed, by a run that finished."""
    found = client.get_model_version(task, str(version))
    if INCOMPLETE in found.tags:
        return False
    if found.tags.get(COMPLETE[0]) == COMPLETE[1]:
        return True
    return bool(found.run_id) and client.get_run(found.run_id).info.status == "FINISHED"


def running_runs() -> list[dict[str, Any]]:
    """Every RUNNING run in the store, with its tags (what a sweep judges alive or dead)."""
    client = mlflow_client()
    ids = [e.experiment_id for e in client.search_experiments()]
    if not ids:
        return []
    runs = client.search_runs(ids, filter_string="attributes.status = 'RUNNING'", max_results=1000)
    return [{"run_id": r.info.run_id, "tags": dict(r.data.tags)} for r in runs]


def fail_run(run_id: str, tags: Mapping[str, str]) -> None:
    """End a run whose process died: the tags saying so first, then FAILED."""
    client = mlflow_client()
    for key, value in tags.items():
        client.set_tag(run_id, key, str(value))
    client.set_terminated(run_id, "FAILED")


def mark_incomplete_versions(run_id: str, reason: str) -> list[tuple[str, int]]:
    """Tag `incomplete` every version of a run that never got its completion mark; returns them."""
    client = mlflow_client()
    marked = []
    for v in client.search_model_versions(f"run_id = '{run_id}'"):
        if v.tags.get(COMPLETE[0]) != COMPLETE[1] and INCOMPLETE not in v.tags:
            client.set_model_version_tag(v.name, str(v.version), INCOMPLETE, reason)
            marked.append((v.name, int(v.version)))
    return marked


def alias_version(task: str, alias: str = "champion") -> dict[str, Any] | None:
    """The version holding an alias with its run's metrics and params, or None if there is none."""
    client = mlflow_client()
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
        return sorted(int(v.version) for v in mlflow_client().search_model_versions(f"name = '{task}'"))
    except MlflowException:
        return []


@contextmanager
def verified_copy(task: str, version: int, *, what: str) -> Iterator[Path]:
    """A temporary copy of a version's model files, each checked against its registered sha256 and the allow-list."""
    tags = mlflow_client().get_model_version(task, str(version)).tags
    expected = artifacts.hashes_from_tags(tags, what=what)
    with tempfile.TemporaryDirectory(prefix="coursework-model-") as tmp:
        local = _download_model(f"models:/{task}/{version}", tmp)
        artifacts.verify_tree(local, expected, what=what)
        flavor = Model.load(local / "MLmodel").flavors.get("sklearn", {})
        artifacts.check_trusted(flavor.get("skops_trusted_types"), what=what)
        yield local


def load_alias_model(task: str, alias: str = "champion"):
    """`models:/<task>@<alias>` as a pyfunc model, loaded from a copy whose files match their registered sha256."""
    version = mlflow_client().get_model_version_by_alias(task, alias).version
    with verified_copy(task, int(version), what=f"models:/{task}@{alias} (version {version})") as local:
        return mlflow.pyfunc.load_model(str(local))  # read into memory: the copy can go


def predict_frame(model: Any, frame: pd.DataFrame) -> Any:
    """The model's predictions for input columns cast to its signature; a schema mismatch is the input's fault."""
    inputs = cast_to_signature(model, frame)
    try:
        return model.predict(inputs)
    except MlflowException as exc:
        raise SourceError(f"the input does not fit the model's signature: {exc.message}") from None


def load_alias_estimator(task: str, alias: str = "champion"):
    """The fitted Pipeline behind `models:/<task>@<alias>`, loaded as load_alias_model loads it, for re-scoring."""
    model = load_alias_model(task, alias)
    try:
        return model.get_raw_model()  # the sklearn flavour's Pipeline
    except NotImplementedError:
        return model.unwrap_python_model().model  # KerasPipelineModel holds its attached Pipeline


def load_run_dict(run_id: str, name: str) -> dict[str, Any] | None:
    """A JSON artefact a run logged (log_dict), or None if it has none of that name."""
    try:
        return mlflow.artifacts.load_dict(f"runs:/{run_id}/{name}")
    except (MlflowException, OSError):
        return None


def cast_to_signature(model: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """Cast input columns to the types the logged signature declares.

    A small hand-written CSV reads whole-number ages as int64 or an all-blank text column as float64;
    MLflow's schema check refuses both, though the values are what the model was trained on.
    """
    schema = model.metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        return frame
    cast = frame.copy()
    for spec in schema.inputs:
        if spec.name in cast.columns:
            target = spec.type.to_pandas()
            if target == object:
                cast[spec.name] = cast[spec.name].astype(object).where(cast[spec.name].notna(), None)
            elif cast[spec.name].dtype != target:
                try:
                    cast[spec.name] = cast[spec.name].astype(target)
                except (TypeError, ValueError) as exc:
                    raise SourceError(f"input column '{spec.name}' cannot be read as {target}: {exc}") from None
    return cast


# ---------------------------------------------------------------- Keras models (coursework.deep)


def _keras_requirements() -> list[str]:
    from coursework import deep

    backend = deep.keras_module().backend.backend()
    names = ["keras", {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax"}.get(backend, "tensorflow")]
    return _requirements() + [_pin(n) for n in names]


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
            signature=_signature(X_train, deep.serve(model, example)), input_example=example,
            pip_requirements=_keras_requirements(),
        )
    return info.model_uri


def log_keras_training(estimator: Any) -> None:
    """Learning curves as step metrics (train_loss, val_loss, train_/val_<metric> per epoch); the device as tags."""
    from mlflow.entities import Metric

    names = {"loss": "train_loss", "val_loss": "val_loss"}
    names.update({k: (k if k.startswith("val_") else f"train_{k}") for k in estimator.history_ if k not in names})
    now = int(pd.Timestamp.now().timestamp() * 1000)
    rows = [Metric(names[key], float(v), now, step) for key, values in estimator.history_.items()
            for step, v in enumerate(values, 1)]
    run_id = mlflow.active_run().info.run_id
    for start in range(0, len(rows), 1000):  # MLflow takes at most 1000 metrics per batch
        mlflow_client().log_batch(run_id, metrics=rows[start:start + 1000])
    stats = estimator.fit_stats_
    set_tags({"device": stats["device"], "keras_backend": stats["backend"], "precision": stats["precision"]})
