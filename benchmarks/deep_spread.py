"""Benchmark the run-to-run spread of the deep tasks: each trained with three seeds, mean and std of its primary metric (not a test).

    uv run python benchmarks/deep_spread.py                        # every offline deep task, seeds 42 43 44
    uv run python benchmarks/deep_spread.py mnist_lenet --seeds 1 2 3

Each task uses its params.yaml block with full settings (epochs, early stopping, augmentation): the
training split and preprocessing as the training flow makes them, the task's first model with its
params.yaml hyperparameters (a committed tuned/<task>.yaml is not applied), trained once per seed and
scored on the held-out test split. Only the seed changes: the split stays the task's own. The gate is
printed beside the mean, and the lowest seed's margin over it, to show how much room the gate leaves.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from _deep import OFFLINE_DEEP_TASKS, REPO, prepared


def _score(task: str, params: Path, seed: int) -> tuple[float, float, str, dict]:
    """The primary metric on the test split of one seeded training, its seconds, the metric's name and the gate."""
    from coursework import train

    p = prepared(task, params)
    (X_train, X_test, y_train, y_test), spec = p["parts"], p["ctx"].spec
    estimator = train.build_model(p["factory"], {**p["hyperparams"], "verbose": 0}, seed=seed)
    estimator.set_params(checkpoint_dir=tempfile.mkdtemp(prefix="coursework-bench-ck-"))
    began = time.perf_counter()
    model = train.train_model(p["features"], estimator, X_train, y_train)
    seconds = time.perf_counter() - began
    value = spec.family.score(model, X_test, y_test)[spec.primary_metric]
    return value, seconds, spec.primary_metric, dict(p["ctx"].params.gate)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*", default=list(OFFLINE_DEEP_TASKS))
    parser.add_argument("--params", type=Path, default=REPO / "params.yaml")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    args = parser.parse_args()
    began, rows = time.perf_counter(), []
    for task in args.tasks:
        runs = [_score(task, args.params, seed) for seed in args.seeds]
        values = [r[0] for r in runs]
        metric, gate = runs[0][2], runs[0][3]
        bound = {**{k: ("min", v) for k, v in gate.get("min", {}).items()},
                 **{k: ("max", v) for k, v in gate.get("max", {}).items()}}.get(metric)
        margin = None if bound is None else (min(values) - bound[1] if bound[0] == "min" else bound[1] - max(values))
        rows.append((task, metric, values, bound, margin, sum(r[1] for r in runs)))
        print(f"{task}: {metric} {values}", flush=True)
    print(f"\n{os.cpu_count()} CPU cores, seeds {args.seeds}; whole benchmark {time.perf_counter() - began:.0f} s")
    print(f"{'task':20s} {'metric':10s} {'mean':>8s} {'std':>8s} {'min':>8s} {'max':>8s}  {'gate':>12s} {'worst margin':>12s} {'fit s':>7s}")
    for task, metric, values, bound, margin, seconds in rows:
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        gate = f"{bound[0]} {bound[1]:g}" if bound else "-"
        room = f"{margin:+.4f}" if margin is not None else "-"
        print(f"{task:20s} {metric:10s} {statistics.mean(values):8.4f} {std:8.4f} {min(values):8.4f} {max(values):8.4f}"
              f"  {gate:>12s} {room:>12s} {seconds:7.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
