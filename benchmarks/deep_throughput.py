"""Benchmark the cost of the pipeline's Keras wrapper: training samples/s inside it vs the same model bare (not a test).

    uv run python benchmarks/deep_throughput.py                    # mnist_dense and mnist_lenet
    uv run python benchmarks/deep_throughput.py mnist_lenet --repeats 3

For each task, the training split and fitted preprocessing come from the task's params.yaml block as the
training flow makes them. "pipeline" is the task's estimator (`KerasClassifier` & co.) fitted as the
train step fits it: seeds, deterministic kernels, the timed resume backup, the best epoch held in memory,
early stopping, verbose=2; its samples/s is the `samples_per_sec` the run logs, and the seconds spent in
each of its callbacks are printed. "bare" is the same network from the same builder (augmentation layers
included), compiled the same way, trained with `model.fit` on the same arrays for the same number of
epochs, batch size and validation split, no callbacks, seeded only. "bare+det" is bare with TensorFlow's
deterministic kernels on, as the pipeline runs on the CPU: the gap between bare and bare+det is the price
of repeatable metrics, the gap between bare+det and pipeline the wrapper's own. Each side runs in a
process of its own (the determinism switch is process-wide), after imports; repeats alternate the sides
so a change in the machine's load hits each alike, and the best of each side is kept. CPU seconds of the
whole fit (threads summed) are printed too: on a shared machine they move less than wall time.
Goal: pipeline >= 0.9x bare.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _deep import REPO, prepared

HOOKS = ("on_train_begin", "on_epoch_begin", "on_epoch_end", "on_train_end")


def _timed(stats: dict[str, float]) -> None:
    """Wrap the pipeline's callbacks so each one's epoch-level hooks add their seconds to stats."""
    from coursework.deep import checkpoints

    made_by = checkpoints.callbacks

    def timed(*args, **kwargs):
        made = made_by(*args, **kwargs)
        for callback in made:
            name = type(callback).__name__
            for hook in HOOKS:
                def wrapped(*a, _hook=getattr(callback, hook), _name=name, **k):
                    began = time.perf_counter()
                    try:
                        return _hook(*a, **k)
                    finally:
                        stats[_name] = stats.get(_name, 0.0) + time.perf_counter() - began
                setattr(callback, hook, wrapped)
        return made

    checkpoints.callbacks = timed


def _pipeline_side(task: str, params: Path) -> dict:
    from coursework import train
    from coursework.deep import keras_module

    p = prepared(task, params)
    X_train, _, y_train, _ = p["parts"]
    data = p["features"].fit_transform(X_train)
    keras_module()  # TensorFlow's import is the process's, not the fit's: the bare side imports it first too
    estimator = train.build_model(p["factory"], p["hyperparams"], seed=p["ctx"].params.seed)
    estimator.set_params(checkpoint_dir=tempfile.mkdtemp(prefix="coursework-bench-ck-"))
    callback_seconds: dict[str, float] = {}
    _timed(callback_seconds)
    cpu = time.process_time()
    estimator.fit(data, y_train)
    cpu = time.process_time() - cpu
    stats = estimator.fit_stats_
    return {"samples_per_sec": stats["samples_per_sec"], "epochs": stats["epochs_run"], "seconds": stats["train_seconds"],
            "cpu_seconds": cpu, "device": stats["device"], "backups": stats["backups_written"],
            "callbacks": callback_seconds}


def _bare_side(task: str, params: Path, epochs: int, deterministic: bool) -> dict:
    """The same network and compile settings, plain `fit`: what a student's notebook would run."""
    from coursework import train
    from coursework.deep import keras_module

    p = prepared(task, params)
    X_train, _, y_train, _ = p["parts"]
    estimator = train.build_model(p["factory"], p["hyperparams"], seed=p["ctx"].params.seed)
    data = estimator._network_input(p["features"].fit_transform(X_train))
    target, n_out, activation, loss, metric = estimator._targets(data, y_train)
    keras = keras_module()
    keras.utils.set_random_seed(int(estimator.random_state))
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    cpu = time.process_time()
    network = estimator.build(tuple(data.shape[1:]), n_out, activation, **dict(estimator.build_options or {}))
    network.compile(optimizer=keras.optimizers.Adam(learning_rate=float(estimator.learning_rate)), loss=loss,
                    metrics=[metric])
    start = time.perf_counter()
    network.fit(data, target, epochs=epochs, batch_size=int(estimator.batch_size),
                validation_split=float(estimator.validation_split), shuffle=True, verbose=0)
    seconds = time.perf_counter() - start
    n_fit = int(round(len(data) * (1 - float(estimator.validation_split))))
    return {"samples_per_sec": n_fit * epochs / seconds, "epochs": epochs, "seconds": seconds,
            "cpu_seconds": time.process_time() - cpu}


def _side(*args: str) -> dict:
    """One side in a fresh process; its last stdout line is the JSON result."""
    proc = subprocess.run([sys.executable, __file__, "--side", *args], capture_output=True, text=True, cwd=REPO)
    if proc.returncode:
        sys.exit(f"{args}: exit {proc.returncode}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _measure(task: str, params: str, repeats: int) -> dict[str, list[dict]]:
    """Pipeline, bare and bare+det, alternating; the bare sides train the epochs early stopping let the pipeline."""
    runs: dict[str, list[dict]] = {"pipeline": [], "bare": [], "bare+det": []}
    for _ in range(repeats):
        runs["pipeline"].append(_side("pipeline", task, params))
        epochs = str(runs["pipeline"][0]["epochs"])
        runs["bare"].append(_side("bare", task, params, epochs))
        runs["bare+det"].append(_side("bare+det", task, params, epochs))
    return runs


def _report(task: str, runs: dict[str, list[dict]]) -> None:
    best = {side: max(rows, key=lambda r: r["samples_per_sec"]) for side, rows in runs.items()}
    piped, epochs = best["pipeline"], best["pipeline"]["epochs"]
    print(f"\n{task} ({piped['device']}, {epochs} epochs, {piped['backups']} resume backups written)")
    print(f"  {'side':9s} {'samples/s':>10s} {'fit s':>7s} {'CPU s':>7s} {'ratio':>6s} {'CPU ratio':>9s}")
    for side, row in best.items():
        ratio = piped["samples_per_sec"] / row["samples_per_sec"]
        cpu_ratio = row["cpu_seconds"] / piped["cpu_seconds"]
        print(f"  {side:9s} {row['samples_per_sec']:10.0f} {row['seconds']:7.1f} {row['cpu_seconds']:7.1f}"
              f" {ratio:6.2f} {cpu_ratio:9.2f}")
    spent = ", ".join(f"{name} {s:.2f} s ({100 * s / piped['seconds']:.1f}%)" for name, s in piped["callbacks"].items())
    print(f"  pipeline's callbacks over the fit: {spent}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*", default=["mnist_dense", "mnist_lenet"])
    parser.add_argument("--params", type=Path, default=REPO / "params.yaml")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--side", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:  # in the child: pipeline TASK PARAMS, or bare|bare+det TASK PARAMS EPOCHS
        kind, task, params, *rest = args.side
        result = (_pipeline_side(task, Path(params)) if kind == "pipeline"
                  else _bare_side(task, Path(params), int(rest[0]), deterministic=kind == "bare+det"))
        print(json.dumps(result))
        return 0
    print(f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}; best of {args.repeats} per side;"
          " ratio = pipeline samples/s over the side's (goal against bare >= 0.90); CPU ratio = the side's CPU s"
          " over the pipeline's (whole fit, build and compile included)")
    for task in args.tasks:
        _report(task, _measure(task, str(args.params), args.repeats))
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
