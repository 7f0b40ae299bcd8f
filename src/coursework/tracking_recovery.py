"""tracking_recovery: the MLflow side of a sweep: runs left RUNNING by a dead process, and their versions."""

from __future__ import annotations

from typing import Any, Mapping

from coursework.tracking_versions import COMPLETE, INCOMPLETE
from coursework.tracking_client import mlflow_client


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
