"""Tasks of one `coursework run` on N long-lived worker processes at once, each task's flow run in one of them.

The parent keeps the Prefect API (its temporary server, the stack's or the user's: workers inherit
PREFECT_API_URL) and the progress. It starts N workers (`flows.parallel_worker`), each paying the
imports once, and hands the next waiting task, in the order named, to whichever worker is free; a worker
runs it as a sequential run does and hands back its summary as JSON. A worker that dies mid-task gives
that task ChildDied (70) naming its log, and a fresh worker takes its slot if tasks are still waiting.
The MLflow store was created before (the CLI's recovery sweep), and the data and champion locks
serialise what two tasks must not do at once. Workers get SIGKILL when the parent dies
(PR_SET_PDEATHSIG), and are stopped when the parent stops early for any other reason.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, Callable

from coursework.children import die_with
from coursework.errorlog import EX_SOFTWARE

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
               "TF_NUM_INTEROP_THREADS")
LOGS = Path(".coursework") / "logs" / "parallel"
_POLL_S, _STOP_WAIT_S, _EXIT_WAIT_S = 0.5, 10.0, 60.0


def child_threads() -> int | None:
    """Threads per worker from COURSEWORK_CHILD_THREADS; unset or 0 leaves each library its own default.

    Not limited by default: TensorFlow's results depend on its thread count (wine_dense's metrics moved
    with one thread per child), and a parallel run must give the metrics of a sequential one.
    """
    return int(os.environ.get("COURSEWORK_CHILD_THREADS") or 0) or None


def _child_env(threads: int | None) -> dict[str, str]:
    """This process's environment (PREFECT_API_URL included) with thread counts set before any library loads."""
    env = dict(os.environ)
    if threads:  # two trainings each with a thread per core share the cores: benchmarks/parallel.py measures both
        env.update(dict.fromkeys(THREAD_VARS, str(threads)))
    return env


def _log(logs: Path, name: str) -> Path:
    return logs / f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{name}.log"


def _spawn(logs: Path, env: dict[str, str], slot: int) -> dict[str, Any]:
    """One worker: tasks in on its stdin, one answer line per task on its stdout, its own output to a log."""
    with open(_log(logs, f"worker{slot}"), "ab") as sink:
        process = subprocess.Popen([sys.executable, "-m", "flows.parallel_runs"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=sink, env=env, bufsize=0,
                                   preexec_fn=partial(die_with, os.getpid(), signal.SIGKILL))  # a run may catch SIGTERM; it cannot catch this
    return {"process": process, "task": None, "slot": slot}


def _hand(worker: dict[str, Any], name: str, job: dict[str, Any], folder: Path, logs: Path) -> None:
    """Give a free worker its next task; a worker already dead finds out on its answer pipe (end of file)."""
    task = {"name": name, "result": folder / f"{name}.json", "log": _log(logs, name), "started": time.monotonic()}
    worker["task"] = task
    try:
        worker["process"].stdin.write((json.dumps({**job, "task": name, "out": str(task["result"]),
                                                   "log": str(task["log"])}) + "\n").encode())
    except BrokenPipeError:
        pass


def _collect(task: dict[str, Any], worker: dict[str, Any]) -> dict[str, Any]:
    """The task's summary; one whose worker died before writing it is an internal error (70) naming its log."""
    from flows.all_tasks import FIELDS

    if task["result"].is_file():
        return json.loads(task["result"].read_text())
    code = worker["process"].wait()
    return {**dict.fromkeys(FIELDS), "task": task["name"], "status": "failed", "exit_code": EX_SOFTWARE,
            "error": f"the worker running it ended (exit {code}) without a result; its output is in {task['log']}",
            "error_kind": "ChildDied", "log": str(task["log"]),
            "seconds": round(time.monotonic() - task["started"], 3)}


def _answered(workers: list[dict[str, Any]]) -> list[tuple[dict[str, Any], bool]]:
    """Workers that answered within a poll, each with whether it is still alive (an answer) or died (end of file)."""
    pipes = {w["process"].stdout.fileno(): w for w in workers}
    ready, _, _ = select.select(list(pipes), [], [], _POLL_S)
    return [(pipes[fd], bool(os.read(fd, 4096))) for fd in ready]


def _stop(workers: list[dict[str, Any]], *, idle: bool = False) -> None:
    """End of stdin for every worker, SIGTERM too unless they are idle; SIGKILL what is left after a grace period."""
    for worker in workers:
        worker["process"].stdin.close()
        if not idle:
            worker["process"].terminate()
    wait = _EXIT_WAIT_S if idle else _STOP_WAIT_S
    deadline = time.monotonic() + wait
    for worker in workers:
        try:
            worker["process"].wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker["process"].kill()
            worker["process"].wait()
        worker["process"].stdout.close()


def run_parallel(names: list[str], job: dict[str, Any], parallel: int, *, on_start: Callable[[str], None] | None = None,
                 on_done: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """At most `parallel` tasks at once, handed out in the given order; summaries come back in that order."""
    logs = Path(job["root"]) / LOGS
    logs.mkdir(parents=True, exist_ok=True)
    env, waiting, done = _child_env(child_threads()), list(names), {}
    workers = [_spawn(logs, env, slot) for slot in range(1, min(parallel, len(names)) + 1)]
    with tempfile.TemporaryDirectory(prefix="coursework-parallel-") as folder:
        try:
            while len(done) < len(names):
                for worker in [w for w in workers if w["task"] is None and w["process"].poll() is None]:
                    if not waiting:
                        break
                    if on_start:
                        on_start(waiting[0])
                    _hand(worker, waiting.pop(0), job, Path(folder), logs)
                for worker, alive in _answered(workers):
                    task, worker["task"] = worker["task"], None
                    if task:
                        done[task["name"]] = _collect(task, worker)
                        if on_done:
                            on_done(done[task["name"]])
                    if not alive:  # its slot goes to a fresh worker while tasks wait
                        _stop([worker])
                        workers.remove(worker)
                        workers += [_spawn(logs, env, worker["slot"])] if waiting else []
        except BaseException:
            _stop(workers)  # an interrupt or an error of our own: no worker runs on without us
            raise
        _stop(workers, idle=True)  # idle: each exits at the end of its stdin, its exit handlers run
    return [done[name] for name in names]


if __name__ == "__main__":
    from flows.parallel_worker import main

    main()
