"""What pruning saves: the same trial budget with the task's pruner and without, for a classic and a deep task (not a test).

    uv run python benchmarks/pruning.py                                  # titanic_ensemble + mnist_dense, 20 trials
    uv run python benchmarks/pruning.py --deep boston_dense --classic purchase_logistic --trials 30
    uv run python benchmarks/pruning.py --classic '' --pruner block --pruner '{"type": "successive_halving", "min_resource": 1}'

Each task's study is the one `coursework tune` runs: its tune block's space and pruner from params.yaml,
a TPE sampler seeded from the task's seed, the training split only (the classic task reports per CV fold,
the deep task per epoch on held-out training rows). "without" is the same study under Optuna's NopPruner,
so both sides report the same values and differ only in what the pruner stops. One untimed trial first
warms the backend up (TensorFlow's import and first graph), so neither side pays for it. The best value
is the best complete trial's objective; "work" is the folds or epochs the trials actually ran. CPU time
(all of this process's threads) is given beside wall time: on a shared machine it moves less with the load.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Mapping

REPO = Path(__file__).resolve().parents[1]


def make_pruner(spec: Mapping[str, Any]):
    """The pruner a tune block's `pruner` mapping names, built as `coursework tune` builds it."""
    from types import SimpleNamespace

    from coursework import study

    return study.make_pruner(SimpleNamespace(pruner=spec))


def task_study(task: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The task's objective on its training split, with what the study needs around it."""
    from coursework import features, tune
    from coursework.config import task_params, thaw
    import pipelines as catalog

    spec, tp = catalog.spec(task), task_params(params, task)
    split, pipeline = features.task_split(spec, tp, spec.load_default(**thaw(tp.source)))
    model, objective = tune.task_objective(problem=spec.family, primary=spec.primary_metric, factories=spec.models,
                                           candidates=thaw(tp.models), features=pipeline, X=split.X_train,
                                           y=split.y_train,
                                           tune=tp.tune, seed=tp.seed, shuffle=tp.split.shuffle)
    return {"objective": objective, "model": model, "seed": tp.seed, "pruner": thaw(tp.tune.pruner),
            "direction": "maximize" if spec.greater_is_better else "minimize", "metric": spec.primary_metric}


def run_study(setup: Mapping[str, Any], pruner_spec: Mapping[str, Any], n_trials: int) -> dict[str, Any]:
    """One timed study of n_trials under the given pruner."""
    import optuna

    study = optuna.create_study(direction=setup["direction"], pruner=make_pruner(pruner_spec),
                                sampler=optuna.samplers.TPESampler(seed=setup["seed"]))
    start, cpu = time.perf_counter(), time.process_time()
    study.optimize(setup["objective"], n_trials=n_trials)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    states = [t.state.name for t in study.trials]
    return {"pruner": json.dumps(dict(pruner_spec)), "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
            "best_value": study.best_value,
            "best_params": study.best_params, "complete": states.count("COMPLETE"), "pruned": states.count("PRUNED"),
            "work": sum(len(t.intermediate_values) for t in study.trials)}


def benchmark(task: str, params: Mapping[str, Any], n_trials: int, pruners: list) -> list[dict]:
    """With each pruner ('block': the tune block's), then without, after one untimed warm-up trial."""
    import optuna

    setup = task_study(task, params)
    warm = optuna.create_study(direction=setup["direction"], pruner=optuna.pruners.NopPruner())
    warm.optimize(setup["objective"], n_trials=1)
    rows = []
    for spec in [setup["pruner"] if p == "block" else p for p in pruners or ["block"]] + [{"type": "none"}]:
        row = {"task": task, "metric": setup["metric"], "trials": n_trials, **run_study(setup, spec, n_trials)}
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    """The README's table: each pruned study against its task's unpruned one (time saved, gap of the best value)."""
    lines = ["| task | pruner | trials (pruned) | folds/epochs run | wall time | CPU time | best value | wall time saved "
             "| best-value gap |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    plain = {row["task"]: row for row in rows if json.loads(row["pruner"])["type"] == "none"}
    for row in rows:
        base = plain[row["task"]]
        saved = f"{1 - row['seconds'] / base['seconds']:.0%}" if row is not base else ""
        gap = f"{(row['best_value'] - base['best_value']) / abs(base['best_value']):+.2%}" if row is not base else ""
        lines.append(f"| {row['task']} ({row['metric']}) | `{row['pruner']}` | {row['trials']} ({row['pruned']}) "
                     f"| {row['work']} | {row['seconds']:.0f} s | {row['cpu_seconds']:.0f} s | {row['best_value']:.4f} "
                     f"| {saved} | {gap} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classic", default="titanic_ensemble", help="a classic task, pruned per CV fold ('' to skip)")
    parser.add_argument("--deep", default="mnist_dense", help="a deep task, pruned per epoch ('' to skip)")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--pruner", action="append", type=lambda v: v if v == "block" else json.loads(v),
                        help="the deep task's pruner as JSON, or 'block' (its tune block's, the default); repeatable")
    parser.add_argument("--params", type=Path, default=REPO / "params.yaml")
    parser.add_argument("--out", type=Path, help="write the rows as JSON here too")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from coursework.config import load_params

    params = load_params(args.params)
    rows = []
    if args.classic:
        rows += benchmark(args.classic, params, args.trials, ["block"])
    if args.deep:
        rows += benchmark(args.deep, params, args.trials, args.pruner)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
