"""Latency of a single-row `/invocations` call to `coursework serve` (a benchmark, not a test).

Run it in a project where the task has a champion (after the main job, or `coursework run iris_knn`):

    uv run python benchmarks/serve_latency.py [--repo PATH] [--task iris_knn] [--calls 100] [--warmup 10]

It starts the real `coursework serve TASK` on a free port of 127.0.0.1, waits for /ping, makes the
warm-up calls, then times CALLS single-row calls one after another (a fresh HTTP connection each, as
`curl` makes) and prints the median, p95, min and max in milliseconds with the machine it ran on.
The server is stopped (SIGTERM to serve, which stops MLflow's server) whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

COURSEWORK = Path(sys.executable).with_name("coursework")
IRIS_ROW = {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [[5.9, 3.0, 5.1, 1.8]]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ping(url: str, proc: subprocess.Popen, timeout: float = 300) -> float:
    """Seconds until /ping answers 200; exits with serve's code if it stops first."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            sys.exit(f"coursework serve exited with {proc.returncode} before /ping answered")
        try:
            with urllib.request.urlopen(f"{url}/ping", timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - start
        except OSError:
            time.sleep(0.2)
    sys.exit(f"/ping did not answer within {timeout:.0f} s")


def call(url: str, body: bytes) -> float:
    """One POST /invocations; its wall time in ms."""
    request = urllib.request.Request(f"{url}/invocations", data=body, headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
        if response.status != 200:
            sys.exit(f"/invocations answered {response.status}")
    return (time.perf_counter() - start) * 1000


def machine() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, load average {load}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--task", default="iris_knn")
    parser.add_argument("--row", default=json.dumps(IRIS_ROW), help="dataframe_split JSON of one row (iris by default)")
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    body = json.dumps({"dataframe_split": json.loads(args.row)}).encode()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen([str(COURSEWORK), "serve", args.task, "--port", str(port)], cwd=args.repo, env=env,
                                stdout=log, stderr=log, start_new_session=True)
        try:
            ready = wait_ping(url, proc)
            print(f"machine: {machine()}")
            print(f"coursework serve {args.task}: /ping answered {ready:.1f} s after start")
            for _ in range(args.warmup):
                call(url, body)
            times = sorted(call(url, body) for _ in range(args.calls))
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
                proc.wait(60)
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    print(f"single-row /invocations over {len(times)} calls (after {args.warmup} warm-up): "
          f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, min {times[0]:.1f} ms, max {times[-1]:.1f} ms")


if __name__ == "__main__":
    main()
