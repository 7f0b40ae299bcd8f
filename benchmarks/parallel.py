"""Benchmark `coursework run --all` one task after another against `--parallel N` (not a test).

    uv run python benchmarks/parallel.py                          # every offline task, N=2, with and without thread limits
    uv run python benchmarks/parallel.py iris_knn mnist_dense --parallel 2 --no-limited

Each mode runs the real command as a separate process in a fresh throw-away project root (so the
checkout's registry and data/ are untouched), after one warm-up run that migrates the benchmark's own
Prefect database and warms the disk cache. It prints each mode's wall time, its speed-up over the
sequential run (goal: >= 1.5x for --parallel 2 on a 2-core machine), the exit codes, and whether every
task's metrics are identical to the sequential run's (they must be: seeded, deterministic kernels;
timing figures such as train_seconds and samples_per_sec are left out of the comparison).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COURSEWORK = Path(sys.executable).with_name("coursework")
TIMING = ("samples_per_sec", "peak_memory_mb", "train_seconds")  # differ run to run by nature


def _run(base: Path, name: str, args: list[str], env: dict[str, str]) -> tuple[float, dict]:
    """One `coursework run ... --json` in a fresh root of its own: wall seconds and the JSON document."""
    root = base / name
    root.mkdir()
    shutil.copy2(REPO / "params.yaml", root / "params.yaml")
    began = time.perf_counter()
    proc = subprocess.run([str(COURSEWORK), "run", *args, "--json"], cwd=root, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - began
    try:
        return wall, json.loads(proc.stdout)
    except json.JSONDecodeError:
        sys.exit(f"{name}: no JSON (exit {proc.returncode}); stderr tail:\n{proc.stderr[-3000:]}")


def _quality(document: dict) -> dict[str, dict]:
    """Each task's metrics without the timing figures."""
    return {t["task"]: {k: v for k, v in (t["metrics"] or {}).items() if k not in TIMING} for t in document["tasks"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*", help="tasks to run (default: --all, every offline task)")
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--no-limited", action="store_true", help="skip the run with thread counts shared out")
    parser.add_argument("--save", type=Path, help="also write each mode's `--json` document into this folder")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="coursework-bench-parallel-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PREFECT_API_URL"))}
    env.update({"PREFECT_HOME": str(base / "prefect"), "COLUMNS": "200"})
    env.pop("COURSEWORK_CHILD_THREADS", None)
    selection = args.tasks or ["--all"]
    _run(base, "warm-up", ["iris_knn"], env)
    modes = [("sequential", selection, env),
             (f"--parallel {args.parallel} (library threads)", [*selection, "--parallel", str(args.parallel)], env)]
    if not args.no_limited:  # COURSEWORK_CHILD_THREADS: the cores shared out between the children
        threads = str(max(1, (os.cpu_count() or 1) // args.parallel))
        modes.append((f"--parallel {args.parallel} ({threads} thread(s) each)", [*selection, "--parallel", str(args.parallel)],
                      {**env, "COURSEWORK_CHILD_THREADS": threads}))
    results = [(label, *_run(base, f"mode{i}", argv, mode_env)) for i, (label, argv, mode_env) in enumerate(modes)]
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for i, (_, _, document) in enumerate(results):
            (args.save / f"mode{i}.json").write_text(json.dumps(document, indent=2))
    reference, seq_wall = _quality(results[0][2]), results[0][1]
    print(f"\n{len(reference)} tasks, {os.cpu_count()} CPU cores, load average before the runs: see `uptime`")
    print(f"{'mode':40s} {'wall s':>8s} {'speed-up':>9s} {'exit':>5s}  metrics vs sequential")
    for label, wall, document in results:
        differ = [t for t, m in _quality(document).items() if m != reference.get(t)]
        same = "identical" if not differ else f"DIFFER: {', '.join(differ)}"
        print(f"{label:40s} {wall:8.1f} {seq_wall / wall:8.2f}x {document['exit_code']:5d}  {same}")
    print("goal: --parallel 2 >= 1.50x the sequential run, identical metrics")
    shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
