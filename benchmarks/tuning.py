"""Tuning benchmarks, printed: study storages under two writers at once, and `coursework tune --workers 2` vs 1.

    uv run python benchmarks/tuning.py [--trials 200] [--task titanic_ensemble] [--task-trials 12] [--skip-task]

1. Storage: two processes (spawned) add trials to one study at the same time, with an objective that costs
   nothing, so the time per trial is the storage's overhead. SQLite (RDBStorage) and JournalStorage on a file,
   each against one process alone; errors (e.g. "database is locked") are counted, not hidden.
2. Workers: `coursework tune TASK --trials N --workers K` for K = 1 and 2 in a throw-away project root with
   the task's snapshot, each on a fresh study, wall time of the whole command (process start included).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STUDY = "bench"


def _writer(url: str, root: str, trials: int, seed: int) -> tuple[float, int]:
    """One process: `trials` trials of a free objective on the shared study; (seconds, errors)."""
    import optuna

    from coursework import study

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    shared = optuna.load_study(study_name=STUDY, storage=study.open_storage(url, Path(root)),
                               sampler=optuna.samplers.RandomSampler(seed=seed))
    errors, start = 0, time.perf_counter()
    for _ in range(trials):
        try:
            shared.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
        except Exception:  # noqa: BLE001 - a storage error is what this counts
            errors += 1
    return time.perf_counter() - start, errors


def bench_storage(url: str, root: Path, trials: int, processes: int) -> dict:
    import optuna

    from coursework import study

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    storage = study.open_storage(url, root)
    optuna.create_study(study_name=STUDY, storage=storage, direction="maximize")  # tables made once, before
    start = time.perf_counter()
    with mp.get_context("spawn").Pool(processes) as pool:
        results = pool.starmap(_writer, [(url, str(root), trials, i) for i in range(processes)])
    wall = time.perf_counter() - start
    finished = len(optuna.load_study(study_name=STUDY, storage=study.open_storage(url, root)).trials)
    per_trial = [seconds / trials * 1000 for seconds, _ in results]
    return {"storage": url.split(":")[0], "processes": processes, "trials": finished,
            "expected": trials * processes, "ms_per_trial": sum(per_trial) / len(per_trial),
            "errors": sum(e for _, e in results), "wall_s": wall}


def bench_workers(task: str, trials: int, workers: int, root: Path) -> float:
    journal = f"journal:bench-w{workers}.journal"
    start = time.perf_counter()
    proc = subprocess.run([str(Path(sys.executable).with_name("coursework")), "tune", task, "--trials", str(trials),
                           "--workers", str(workers), "--storage", journal], cwd=root, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"coursework tune --workers {workers} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall


def task_root(task: str) -> Path:
    """A throw-away project root with params.yaml and the task's validated snapshot."""
    from coursework import versioning
    from coursework.config import task_params
    import pipelines as catalog

    root = Path(tempfile.mkdtemp(prefix="coursework-bench-tune-"))
    shutil.copy2(REPO / "params.yaml", root / "params.yaml")
    versioning.rebuild_snapshot(root, spec=catalog.spec(task), params=task_params(catalog.load(root / "params.yaml"), task),
                                accept=False, say=lambda *a, **k: None)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200, help="trials per writer process in the storage benchmark")
    parser.add_argument("--task", default="titanic_ensemble")
    parser.add_argument("--task-trials", type=int, default=12)
    parser.add_argument("--skip-task", action="store_true", help="only the storage benchmark")
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} at start")
    print("\n| storage | writers | trials (expected) | ms per trial | errors | wall s |\n| --- | --- | --- | --- | --- | --- |")
    for url in ("sqlite:///{folder}/optuna.db", "journal:{folder}/optuna.journal"):
        for processes in (1, 2):
            with tempfile.TemporaryDirectory() as folder:
                r = bench_storage(url.format(folder=folder), Path(folder), args.trials, processes)
            print(f"| {r['storage']} | {processes} | {r['trials']} ({r['expected']}) | {r['ms_per_trial']:.1f} | "
                  f"{r['errors']} | {r['wall_s']:.1f} |", flush=True)
    if args.skip_task:
        return
    root = task_root(args.task)
    try:
        walls = {k: bench_workers(args.task, args.task_trials, k, root) for k in (1, 2)}
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"\n| `coursework tune {args.task} --trials {args.task_trials}` | wall s |\n| --- | --- |")
    for k, wall in walls.items():
        print(f"| --workers {k} | {wall:.1f} |")
    print(f"speed-up of --workers 2 over 1: {walls[1] / walls[2]:.2f}x "
          f"(load average {os.getloadavg()[0]:.1f} at the end)")


if __name__ == "__main__":
    main()
