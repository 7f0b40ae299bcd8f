"""tracking_models: a registered model's files read back: downloaded, checked against their sha256, loaded, cast to.

Part of the tracking family (the only MLflow callers); `tracking` re-exports these names for its callers.
"""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import Model

from coursework import artifacts
from coursework.errors import SourceError
from coursework.tracking_client import mlflow_client


def download_model(model_uri: str, folder: str) -> Path:
    """A model's files as the artefact store holds them, without the note MLflow's downloader adds."""
    local = Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri, dst_path=folder))
    (local / "registered_model_meta").unlink(missing_ok=True)  # written on our side (name, version): not stored
    return local


def artifact_hashes(model_uri: str) -> dict[str, str]:
    """sha256 per file of a logged model, as the artefact store holds it now."""
    with tempfile.TemporaryDirectory(prefix="coursework-hash-") as tmp:
        return artifacts.hash_tree(download_model(model_uri, tmp))


@contextmanager
def verified_copy(task: str, version: int, *, what: str, parent: Path | None = None) -> Iterator[Path]:
    """A temporary copy (under `parent` if given) of a version's model files, each checked against its sha256 and allow-list."""
    tags = mlflow_client().get_model_version(task, str(version)).tags
    expected = artifacts.hashes_from_tags(tags, what=what)
    with tempfile.TemporaryDirectory(prefix="coursework-model-", dir=parent) as tmp:
        local = download_model(f"models:/{task}/{version}", tmp)
        artifacts.verify_tree(local, expected, what=what)
        flavor = Model.load(local / "MLmodel").flavors.get("sklearn", {})
        artifacts.check_trusted(flavor.get("skops_trusted_types"), what=what)
        yield local


def load_version_model(task: str, version: int, *, what: str | None = None):
    """A version as a pyfunc model, loaded from a copy whose every file matched its registered sha256."""
    with verified_copy(task, version, what=what or f"models:/{task}/{version}") as local:
        return mlflow.pyfunc.load_model(str(local))  # read into memory: the copy can go


def load_alias_model(task: str, alias: str = "champion"):
    """`models:/<task>@<alias>` as a pyfunc model, loaded as load_version_model loads a version."""
    version = int(mlflow_client().get_model_version_by_alias(task, alias).version)
    return load_version_model(task, version, what=f"models:/{task}@{alias} (version {version})")


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
