"""Wall time of a no-op `dvc repro` over every task and of `dvc status` (a benchmark, not a test).

Run it in a project whose pipeline is reproduced (`dvc status` says up to date):

    uv run python benchmarks/dvc_noop.py [--repo PATH] [--repeat 5]

A no-op repro only hashes dependencies (with DVC's state cache) and compares them with dvc.lock, so it
should take seconds whatever the tasks cost to run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ENV = {**os.environ, "DVC_NO_ANALYTICS": "1"}


def dvc(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=repo, env=ENV, capture_output=True, text=True)


def timed(repo: Path, *args: str) -> float:
    start = time.perf_counter()
    done = dvc(repo, *args)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"dvc {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    if args[0] == "repro" and "Data and pipelines are up to date." not in done.stdout:
        sys.exit(f"dvc repro ran something, so this was not a no-op:\n{done.stdout[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    status = dvc(args.repo, "status", "--json")
    if status.returncode != 0 or json.loads(status.stdout or "{}"):
        sys.exit("the pipeline is not up to date: run `dvc repro` first (this measures the no-op)")
    stages = [line.split()[0] for line in dvc(args.repo, "stage", "list").stdout.splitlines() if line.strip()]
    print(f"{args.repo}: {len(stages)} stages ({', '.join(stages)})")
    print(f"{'command':<12} {'runs':>4} {'min s':>7} {'median s':>9} {'max s':>7}")
    for command in (("repro",), ("status",)):
        times = [timed(args.repo, *command) for _ in range(args.repeat)]
        print(f"dvc {command[0]:<8} {len(times):>4} {min(times):>7.2f} {statistics.median(times):>9.2f} {max(times):>7.2f}")


if __name__ == "__main__":
    main()
