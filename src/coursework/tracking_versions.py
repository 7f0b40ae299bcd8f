"""tracking_versions: a registered version's completeness mark, its aliases, and what the registry holds for a task.

Part of the tracking family (the only MLflow callers); `tracking` re-exports these names for its callers.
"""

from __future__ import annotations

from typing import Any

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from coursework.errors import IncompleteVersion
from coursework.tracking_client import mlflow_client

COMPLETE = ("registration", "complete")  # the tag a version gets once every lineage tag is on it
INCOMPLETE = "incomplete"  # the tag a sweep puts on a version whose run died before COMPLETE


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
