"""Benchmark the offline deep tasks: wall time, training samples/sec and peak memory per task (not a test).

    uv run python benchmarks/deep_tasks.py                      # all offline deep tasks, default params.yaml
    uv run python benchmarks/deep_tasks.py mnist_lenet --params my.yaml

Each task runs through the real six-step flow, one after another in this one process (as
`coursework run t1 t2 ...` does), in a throw-away project root, so the registry and data/ of the
checkout are untouched. Wall time is the task's whole flow (ingest to register); samples/sec and peak
memory come from the final model's fit (peak RSS of the fit on the CPU, peak allocation on a GPU).
The first task's wall time includes starting Prefect's temporary server; the last line adds the
process's own start-up (imports, TensorFlow) to give the whole `coursework run` of these tasks.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

START = time.perf_counter()
REPO = Path(__file__).resolve().parents[1]
OFFLINE_DEEP_TASKS = ("boston_dense", "wine_dense", "mnist_dense", "mnist_lenet", "fashion_autoencoder",
                      "sequence_lstm", "stock_lstm")


def _beside(metrics: dict, primary: str) -> str:
    """The figures a result is read against: its baseline, other candidates, the naive forecast, +-1."""
    keys = [f"baseline_{primary}", *sorted(k for k in metrics if k.startswith("candidate_")),
            "naive_rmse", "within_1", "epochs_run", "best_epoch"]
    return ", ".join(f"{k} {metrics[k]:.4g}" for k in keys if k in metrics)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*", default=list(OFFLINE_DEEP_TASKS))
    parser.add_argument("--params", type=Path, default=REPO / "params.yaml")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="coursework-bench-"))
    shutil.copy2(args.params, root / "params.yaml")
    os.environ.setdefault("PREFECT_HOME", str(root / "prefect"))
    for key, value in {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "GX_ANALYTICS_ENABLED": "false",
                       "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
                       "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"}.items():  # a fresh DB migrates first
        os.environ.setdefault(key, value)
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    os.chdir(root)
    sys.path.insert(0, str(REPO))
    from coursework import deep
    from flows.task_flow import task_flow

    device = deep.device_info()
    rows = []
    for task in args.tasks:
        began = time.perf_counter()
        summary = task_flow(task, params_path=str(root / "params.yaml"), root=str(root))
        m = summary["metrics"]
        rows.append((task, time.perf_counter() - began, m.get("train_seconds", float("nan")),
                     m.get("samples_per_sec", float("nan")), m.get("peak_memory_mb", float("nan")),
                     summary["primary"], m[summary["primary"]], summary["passed_gate"], _beside(m, summary["primary"])))
    total = time.perf_counter() - START
    print(f"\ndevice: {device['device']} ({device['backend']}, {device['precision']}), {os.cpu_count()} CPU cores")
    print(f"{'task':22s} {'wall s':>8s} {'fit s':>8s} {'samples/s':>10s} {'peak MB':>9s}  primary")
    for task, wall, fit, speed, peak, primary, value, passed, beside in rows:
        gate = "passed" if passed else "gate missed"
        print(f"{task:22s} {wall:8.1f} {fit:8.1f} {speed:10.0f} {peak:9.0f}  {primary} {value:.4f} ({gate}); {beside}")
    flows = sum(r[1] for r in rows)
    print(f"{'all tasks (flows)':22s} {flows:8.1f}\n{'process, start-up incl.':22s} {total:8.1f}")
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
