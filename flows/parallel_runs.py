"""Tasks of one `coursework run` in N child processes at once, each task's flow run in a process of its own.

The parent keeps the Prefect API (its temporary server, the stack's or the user's: children inherit
PREFECT_API_URL) and the progress; each child runs the same `all_tasks.run_one` as a sequential run and
hands back its summary as JSON. The MLflow store was created before (the CLI's recovery sweep), and the
data and champion locks already serialise what two tasks must not do at once. Children get SIGTERM when
the parent dies (PR_SET_PDEATHSIG), and are stopped when the parent stops early for any other reason.
"""

from __future__ import annotations

import json
import os
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

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
               "TF_NUM_INTEROP_THREADS")
LOGS = Path(".coursework") / "logs" / "parallel"
_POLL_S, _STOP_WAIT_S = 0.2, 10.0


def child_threads() -> int | None:
    """Threads per child from COURSEWORK_CHILD_THREADS; unset or 0 leaves each library its own default.

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


def _start(name: str, job: dict[str, Any], folder: Path, logs: Path, env: dict[str, str]) -> dict[str, Any]:
    """Start one child for `name`; its output goes to its own log, its summary to a JSON file."""
    result, log = folder / f"{name}.json", logs / f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{name}.log"
    spec = json.dumps({**job, "task": name, "out": str(result)})
    with open(log, "ab") as sink:
        process = subprocess.Popen([sys.executable, "-m", "flows.parallel_runs", spec], stdin=subprocess.DEVNULL,
                                   stdout=sink, stderr=subprocess.STDOUT, env=env,
                                   preexec_fn=partial(die_with, os.getpid(), signal.SIGKILL))  # a run may catch SIGTERM; it cannot catch this
    return {"name": name, "process": process, "result": result, "log": log, "started": time.monotonic()}


def _collect(child: dict[str, Any]) -> dict[str, Any]:
    """The child's summary; a child that died before writing one is an internal error (70) naming its log."""
    from flows.all_tasks import FIELDS

    if child["result"].is_file():
        return json.loads(child["result"].read_text())
    code = child["process"].returncode
    return {**dict.fromkeys(FIELDS), "task": child["name"], "status": "failed", "exit_code": 70,
            "error": f"its process ended (exit {code}) without a result; its output is in {child['log']}",
            "error_kind": "ChildDied", "log": str(child["log"]),
            "seconds": round(time.monotonic() - child["started"], 3)}


def _stop(children: list[dict[str, Any]]) -> None:
    """SIGTERM every child still running, SIGKILL what is left after a grace period."""
    for child in children:
        child["process"].terminate()
    deadline = time.monotonic() + _STOP_WAIT_S
    for child in children:
        try:
            child["process"].wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child["process"].kill()
            child["process"].wait()


def run_parallel(names: list[str], job: dict[str, Any], parallel: int, *, on_start: Callable[[str], None] | None = None,
                 on_done: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """At most `parallel` tasks at once, started in the given order; summaries come back in that order."""
    logs = Path(job["root"]) / LOGS
    logs.mkdir(parents=True, exist_ok=True)
    env, waiting, running, done = _child_env(child_threads()), list(names), [], {}
    with tempfile.TemporaryDirectory(prefix="coursework-parallel-") as folder:
        try:
            while waiting or running:
                while waiting and len(running) < parallel:
                    name = waiting.pop(0)
                    if on_start:
                        on_start(name)
                    running.append(_start(name, job, Path(folder), logs, env))
                for child in [c for c in running if c["process"].poll() is not None]:
                    running.remove(child)
                    done[child["name"]] = _collect(child)
                    if on_done:
                        on_done(done[child["name"]])
                time.sleep(_POLL_S)
        finally:
            _stop(running)  # an interrupt or an error of our own: no child runs on without us
    return [done[name] for name in names]


def _child_main(spec: str) -> int:
    """In the child: run one task as a sequential run would, write its summary atomically."""
    job = json.loads(spec)
    from coursework.fsutil import atomic_write_text
    from flows.all_tasks import run_one

    summary = run_one(job["task"], params_path=job["params_path"], root=job["root"], source=job["source"],
                      options=job["options"])
    atomic_write_text(Path(job["out"]), json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(_child_main(sys.argv[1]))
