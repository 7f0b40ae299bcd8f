"""Time from starting `coursework app` to its first page rendered in headless Chromium (a benchmark, not a test).

Run it in a project whose registry holds trained tasks (after `coursework run --all`, or any `run`):

    uv run python benchmarks/app_start.py [--repo PATH] [--repeat 3]

Each round starts a fresh `coursework app` on a free port, opens the overview in Debian's chromium
(tests/browser.py) as soon as the server answers, and stops the clock when the overview's table shows
the first registered task. Printed: every round and the median, with the machine's load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests/ helpers: the free port, the stop, the browser

from tests.browser import browser_page  # noqa: E402
from tests.servers import free_port, stop, wait_healthy  # noqa: E402

COURSEWORK = Path(sys.executable).with_name("coursework")


def first_task(repo: Path) -> str:
    """A task the overview must show: the first registered model's name."""
    from coursework import tracking, tracking_serving

    tracking.configure(repo)
    tasks = tracking_serving.registered_tasks()
    if not tasks:
        sys.exit(f"{repo} has no registered task: run `coursework run TASK` there first")
    return tasks[0]


def one_round(repo: Path, task: str, scratch: Path) -> tuple[float, float]:
    """(seconds to the server's health answer, seconds to the first task's row in the page) from the start."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    log = scratch / f"app-{port}.log"
    start = time.perf_counter()
    with log.open("w") as sink:
        proc = subprocess.Popen([str(COURSEWORK), "app", "--port", str(port)], cwd=repo, env=env, stdout=sink,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", proc, log)
        healthy = time.perf_counter() - start
        with browser_page(scratch / f"profile-{port}") as page:
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator("table tr", has_text=task).first.wait_for(timeout=300_000)
            rendered = time.perf_counter() - start
    finally:
        stop(proc)
    return healthy, rendered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="project root with a trained registry")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    repo = args.repo.resolve()
    task = first_task(repo)
    rounds = []
    with tempfile.TemporaryDirectory(prefix="coursework-app-bench-") as scratch:
        for i in range(args.repeat):
            healthy, rendered = one_round(repo, task, Path(scratch))
            rounds.append(rendered)
            print(f"round {i + 1}: server healthy after {healthy:.1f} s, first page rendered after {rendered:.1f} s")
    load = os.getloadavg()[0]
    print(f"coursework app -> first page rendered: median {statistics.median(rounds):.1f} s over {len(rounds)} "
          f"rounds (load average {load:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
