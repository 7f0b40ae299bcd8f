"""Real servers for tests, each on a free port of 127.0.0.1 and always stopped: PostgreSQL, Prefect."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

NOBODY = 65534


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """A throw-away PostgreSQL cluster (initdb + pg_ctl in a temp folder); yields its SQLAlchemy URI.

    initdb refuses to run as root, and these machines run as root: then the cluster belongs to `nobody`.
    """
    base = Path(tempfile.mkdtemp(prefix="coursework-pg-"))
    user = {"user": "nobody"} if os.geteuid() == 0 else {}
    if user:
        os.chown(base, NOBODY, NOBODY)
    port = free_port()
    run = dict(check=True, capture_output=True, **user)
    subprocess.run(["initdb", "-D", str(base / "data"), "-U", "postgres", "--auth=trust"], **run)
    subprocess.run(["pg_ctl", "-D", str(base / "data"), "-w", "-l", str(base / "log"),
                    "-o", f"-p {port} -k {base} -h 127.0.0.1", "start"], **run)
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(["pg_ctl", "-D", str(base / "data"), "-m", "immediate", "stop"], **{**run, "check": False})
        shutil.rmtree(base, ignore_errors=True)


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    """Poll url until it answers 200; fail with the server's log if it exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"server not healthy after {timeout} s:\n{log.read_text()[-4000:]}")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group, SIGKILL after 20 s: no orphan left behind."""
    if proc.poll() is None:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


@contextmanager
def prefect_server(home: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`prefect server start` with its own PREFECT_HOME (and SQLite database) under home; yields its API URL.

    env adds settings for the server (e.g. a shorter PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS).
    """
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **(env or {})}
    env.pop("PREFECT_API_URL", None)
    log = home / "server.log"
    with log.open("w") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                 "--port", str(port)], env=env, stdout=sink, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/api/health", proc, log)
        yield f"http://127.0.0.1:{port}/api"
    finally:
        stop(proc)
