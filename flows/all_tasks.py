"""The one run-all path: tasks in order (or N at once), each its own flow run, one failure never stopping the rest.

`coursework run` and the all-tasks flow (what a schedule deploys) both call `run_tasks`, so both catch
the same errors and return the same summaries; `exit_code` gives the command's code from them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from prefect import flow, get_run_logger
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

from coursework import errorlog
from coursework.display import finite
from coursework.errors import CourseworkError
from pipelines import offline_tasks
from flows.task_flow import task_flow

# Every summary has every field (None where it does not apply), so a script can rely on the keys.
FIELDS = ("task", "status", "exit_code", "primary_metric", "value", "baseline", "model", "version", "alias",
          "promoted", "passed_gate", "reasons", "data_version", "run_id", "metrics", "error", "error_kind",
          "log", "seconds")


def ran(result: dict[str, Any]) -> dict[str, Any]:
    """The summary of a task whose flow finished: passed its gate (exit 0) or missed it (exit 1)."""
    metrics = {key: finite(value) for key, value in sorted(result["metrics"].items())}
    primary = result["primary"]
    return {**dict.fromkeys(FIELDS), "task": result["task"], "primary_metric": primary,
            "status": "passed" if result["passed_gate"] else "gate_missed",
            "exit_code": 0 if result["passed_gate"] else 1,
            "value": metrics.get(primary), "baseline": metrics.get(f"baseline_{primary}"),
            "model": result["model"], "version": int(result["version"]), "alias": result["alias"],
            "promoted": bool(result["promoted"]), "passed_gate": bool(result["passed_gate"]),
            "reasons": list(result["reasons"]), "data_version": result["data_version"],
            "run_id": result["run_id"], "metrics": metrics}


def failed(task: str, exc: BaseException, log: Path | None = None) -> dict[str, Any]:
    """The summary of a task that stopped: a CourseworkError's own code, or 70 with the traceback's log file."""
    code = exc.exit_code if isinstance(exc, CourseworkError) else errorlog.EX_SOFTWARE
    text = errorlog.message(exc, log) if log else str(exc)
    return {**dict.fromkeys(FIELDS), "task": task, "status": "failed", "exit_code": code, "error": text,
            "error_kind": type(exc).__name__, "log": str(log) if log else None}


def run_one(name: str, *, params_path: str = "params.yaml", root: str = ".", source: str | None = None,
            options: dict[str, Any] | None = None) -> dict[str, Any]:
    """One task's flow and its summary; a user's error or an unexpected one ends that task only."""
    started = time.monotonic()
    try:
        # no flow-run heartbeat thread: nothing on the server acts on its events here (a killed run is found by
        # the sweep), and each flow's end joined it for up to a second (the thread sleeps in 1 s steps)
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            summary = ran(task_flow(name, source=source, params_path=params_path, root=root, **(options or {})))
    except CourseworkError as exc:
        summary = failed(name, exc)
    except Exception as exc:  # noqa: BLE001 - a bug in one task must not stop the others; its log is kept
        summary = failed(name, exc, errorlog.write(exc, Path(root), what=f"running {name}"))
    summary["seconds"] = round(time.monotonic() - started, 3)
    return summary


def run_tasks(names: list[str], *, params_path: str = "params.yaml", root: str = ".", source: str | None = None,
              options: dict[str, Any] | None = None, on_start: Callable[[str], None] | None = None,
              on_done: Callable[[dict[str, Any]], None] | None = None, parallel: int = 1) -> list[dict[str, Any]]:
    """Each task's flow, in order or `parallel` at once on worker processes; summaries in the order named."""
    job = {"params_path": params_path, "root": root, "source": source, "options": options or {}}
    if parallel > 1 and len(names) > 1:
        from flows.parallel_runs import run_parallel

        return run_parallel(names, job, parallel, on_start=on_start, on_done=on_done)
    summaries = []
    for name in names:
        if on_start:
            on_start(name)
        summaries.append(run_one(name, **job))
        if on_done:
            on_done(summaries[-1])
    return summaries


def exit_code(summaries: list[dict[str, Any]]) -> int:
    """The first non-zero code in run order (1 for a missed gate), else 0."""
    return next((s["exit_code"] for s in summaries if s["exit_code"]), 0)


class TasksFailed(CourseworkError):
    """Some tasks of an all-tasks run did not pass; the flow run is marked failed, the summaries kept."""

    def __init__(self, summaries: list[dict[str, Any]]):
        self.summaries = summaries
        self.exit_code = exit_code(summaries)
        names = ", ".join(s["task"] for s in summaries if s["exit_code"])
        super().__init__(f"tasks that did not pass: {names}")

    def __reduce__(self):  # Prefect may pickle a flow's exception: rebuild it from the summaries, not the message
        return (type(self), (self.summaries,))


@flow(name="coursework-all-tasks", log_prints=True)
def all_tasks_flow(tasks: list[str] | None = None, params_path: str = "params.yaml", root: str = ".") -> list[dict[str, Any]]:
    """Every offline task (or `tasks`) through run_tasks; returns the summaries, raises TasksFailed if one did not pass."""
    log = get_run_logger()

    def report(summary: dict[str, Any]) -> None:
        if summary["error"]:
            log.error("%s stopped (exit %d): %s", summary["task"], summary["exit_code"], summary["error"])
        else:
            log.info("%s: %s, %s %s, version %s %s", summary["task"], summary["status"], summary["primary_metric"],
                     summary["value"], summary["version"], summary["alias"])

    summaries = run_tasks(tasks or offline_tasks(params_path), params_path=params_path, root=root, on_done=report)
    if exit_code(summaries):
        raise TasksFailed(summaries)
    return summaries
