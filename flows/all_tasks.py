"""The all-tasks flow: every task in params.yaml as its own subflow run; one failure does not stop the rest."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from coursework.errors import CourseworkError
from flows.catalog import offline_tasks
from flows.task_flow import task_flow


@flow(name="coursework-all-tasks", log_prints=True)
def all_tasks_flow(tasks: list[str] | None = None, params_path: str = "params.yaml", root: str = ".") -> list[dict[str, Any]]:
    """Run each task's six-step flow; returns one summary per task (an `error` key where it stopped)."""
    log = get_run_logger()
    results = []
    for name in tasks or offline_tasks(params_path):
        try:
            results.append(task_flow(name, params_path=params_path, root=root))
        except CourseworkError as exc:
            log.error("%s stopped: %s", name, exc)
            results.append({"task": name, "error": str(exc), "error_kind": type(exc).__name__})
    failed = [r["task"] for r in results if "error" in r or not r.get("passed_gate")]
    if failed:
        raise CourseworkError(f"tasks that did not pass: {', '.join(failed)}")
    return results
