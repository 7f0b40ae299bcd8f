"""serving: MLflow's own scoring server (`mlflow models serve`) over a checked model folder, as a child process.

The server runs in a process group of its own, bound to 127.0.0.1: Ctrl-C or SIGTERM to `coursework serve`
stops that whole group (uvicorn included), and it gets SIGTERM from the kernel if `coursework serve` dies.
No MLflow import here: the server is another process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Callable

from coursework import children
from coursework.children import HOST
from coursework.stack import StackDown

READY_TIMEOUT_S = 180.0  # loading a Keras model on a loaded 2-core machine takes a while
STOP_WAIT_S = 20.0


def command(model_dir: Path, port: int) -> list[str]:
    """`mlflow models serve` on the local environment (the virtualenv manager would need the network)."""
    return [sys.executable, "-m", "mlflow", "models", "serve", "-m", str(model_dir), "--env-manager", "local",
            "-h", HOST, "-p", str(port)]


def _environment() -> dict[str, str]:
    """This venv's bin first on PATH: mlflow starts `uvicorn` by name, and it must be this venv's."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's whole process group (uvicorn outlives mlflow's CLI), SIGKILL after STOP_WAIT_S."""
    if _group_alive(proc.pid):
        os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_WAIT_S
    while _group_alive(proc.pid) and time.monotonic() < deadline:
        proc.poll()  # reap our own child, so the group can empty
        time.sleep(0.1)
    if _group_alive(proc.pid):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _wait_ready(proc: subprocess.Popen, url: str, stopping: list[int]) -> bool:
    """True once /ping answers 200; False if asked to stop first; StackDown if the server dies or never answers."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline and not stopping:
        if proc.poll() is not None:
            raise StackDown(f"MLflow's scoring server exited with code {proc.returncode} before it answered "
                            f"{url}/ping (its log is above)")
        if children.answers(f"{url}/ping"):
            return True
        time.sleep(0.25)
    if stopping:
        return False
    raise StackDown(f"MLflow's scoring server did not answer {url}/ping within {READY_TIMEOUT_S:.0f} s")


def run(model_dir: Path, port: int, on_ready: Callable[[str], None]) -> None:
    """Serve until Ctrl-C or SIGTERM (then stop the server's group and return); StackDown if it stops by itself."""
    url = f"http://{HOST}:{port}"
    proc = subprocess.Popen(command(model_dir, port), env=_environment(), start_new_session=True,
                            preexec_fn=partial(children.die_with, os.getpid()))  # SIGTERM: mlflow passes it on to uvicorn
    stopping: list[int] = []

    def stop(signum, _frame) -> None:
        stopping.append(signum)
        if _group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGTERM)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if _wait_ready(proc, url, stopping):
            on_ready(url)
            proc.wait()
        if not stopping:
            raise StackDown(f"MLflow's scoring server stopped by itself with code {proc.returncode}")
    finally:
        _stop(proc)
        for s, handler in previous.items():
            signal.signal(s, handler)
