"""One long-lived worker of `coursework run --parallel N`: imports the flows once, then runs the tasks it is handed.

The parent writes one JSON line per task on the worker's stdin; the worker runs it as a sequential run
would (`all_tasks.run_one`), with fds 1 and 2 on that task's own log, writes the summary atomically and
answers with one line on the pipe that was its stdout. End of stdin: the worker exits.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, TextIO


@contextmanager
def output_to(log: Path, home: int) -> Iterator[None]:
    """fds 1 and 2 (so Prefect's, Keras's and any child process's output too) on `log`, back on `home` after."""
    sys.stdout.flush()
    sys.stderr.flush()
    sink = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(sink, 1)
    os.dup2(sink, 2)
    os.close(sink)
    try:
        yield
    finally:
        sys.stdout.flush()  # what the task printed belongs in its own log, not the next one's
        sys.stderr.flush()
        os.dup2(home, 1)
        os.dup2(home, 2)


def serve(answer: TextIO, home: int) -> None:
    """Run each task read from stdin, one after another, until stdin ends."""
    from coursework.fsutil import atomic_write_text
    from flows.all_tasks import run_one

    for line in iter(sys.stdin.readline, ""):
        job = json.loads(line)
        with output_to(Path(job["log"]), home):
            print(f"worker {os.getpid()}: task {job['task']}", flush=True)  # which process ran it, for a post-mortem
            summary = run_one(job["task"], params_path=job["params_path"], root=job["root"], source=job["source"],
                              options=job["options"])
        atomic_write_text(Path(job["out"]), json.dumps(summary))
        answer.write(f"{job['task']}\n")  # after the summary is in place: the parent reads it on this line
        answer.flush()


def main() -> None:
    """The worker's entry: the answer pipe moved off fd 1, so nothing a task prints can reach it."""
    answer = os.fdopen(os.dup(1), "w")  # os.dup gives a non-inheritable fd: no process a task starts holds it
    os.dup2(2, 1)  # fd 2 is the worker's own log (its imports, its exit)
    home = os.dup(2)
    serve(answer, home)
    from coursework.cli import _exit_now

    _exit_now(0)  # Prefect's log shipping and MLflow's exit handlers run; the module teardown (seconds) does not
