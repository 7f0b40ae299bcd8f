"""Benchmark the cost of the pipeline's Keras wrapper: training samples/s inside it vs the same model bare (not a test).

    uv run python benchmarks/deep_throughput.py                    # mnist_dense and mnist_lenet
    uv run python benchmarks/deep_throughput.py mnist_lenet --repeats 3

For each task, the training split and fitted preprocessing come from the task's params.yaml block as the
training flow makes them. "pipeline" is the task's estimator (`KerasClassifier` & co.) fitted as the
train step fits it: seeds, deterministic kernels, backup/restore, the best-epoch checkpoint, early
stopping, the per-epoch history file, verbose=2; its samples/s is the `samples_per_sec` the run logs.
"bare" is the same network from the same builder, compiled the same way, trained with `model.fit` on
the same arrays for the same number of epochs, batch size and validation split, no callbacks, seeded
only. Each side runs in a process of its own (TensorFlow's determinism switch is process-wide), after
imports; with --repeats the best of each side is kept. Goal: pipeline >= 0.9x bare.
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


def _pipeline_side(task: str, params: Path) -> dict:
    from coursework import train

    p = prepared(task, params)
    X_train, _, y_train, _ = p["parts"]
    data = p["features"].fit_transform(X_train)
    estimator = train.build_model(p["factory"], p["hyperparams"], seed=p["ctx"].params.seed)
    estimator.set_params(checkpoint_dir=tempfile.mkdtemp(prefix="coursework-bench-ck-"))
    estimator.fit(data, y_train)
    stats = estimator.fit_stats_
    return {"samples_per_sec": stats["samples_per_sec"], "epochs": stats["epochs_run"], "seconds": stats["train_seconds"],
            "device": stats["device"]}


def _bare_side(task: str, params: Path, epochs: int) -> dict:
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
    network = estimator.build(tuple(data.shape[1:]), n_out, activation, **dict(estimator.build_options or {}))
    network.compile(optimizer=keras.optimizers.Adam(learning_rate=float(estimator.learning_rate)), loss=loss,
                    metrics=[metric])
    start = time.perf_counter()
    network.fit(data, target, epochs=epochs, batch_size=int(estimator.batch_size),
                validation_split=float(estimator.validation_split), shuffle=True, verbose=0)
    seconds = time.perf_counter() - start
    n_fit = int(round(len(data) * (1 - float(estimator.validation_split))))
    return {"samples_per_sec": n_fit * epochs / seconds, "epochs": epochs, "seconds": seconds}


def _side(*args: str) -> dict:
    """One side in a fresh process; its last stdout line is the JSON result."""
    proc = subprocess.run([sys.executable, __file__, "--side", *args], capture_output=True, text=True, cwd=REPO)
    if proc.returncode:
        sys.exit(f"{args}: exit {proc.returncode}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*", default=["mnist_dense", "mnist_lenet"])
    parser.add_argument("--params", type=Path, default=REPO / "params.yaml")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--side", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:  # in the child: pipeline TASK PARAMS, or bare TASK PARAMS EPOCHS
        kind, task, params, *rest = args.side
        result = _pipeline_side(task, Path(params)) if kind == "pipeline" else _bare_side(task, Path(params), int(rest[0]))
        print(json.dumps(result))
        return 0
    rows = []
    for task in args.tasks:
        piped = [_side("pipeline", task, str(args.params)) for _ in range(args.repeats)]
        epochs = piped[0]["epochs"]  # the bare side trains exactly as many epochs as early stopping let the pipeline
        bare = [_side("bare", task, str(args.params), str(epochs)) for _ in range(args.repeats)]
        best_p, best_b = max(r["samples_per_sec"] for r in piped), max(r["samples_per_sec"] for r in bare)
        rows.append((task, piped[0]["device"], epochs, best_p, best_b, best_p / best_b))
    print(f"\n{os.cpu_count()} CPU cores; best of {args.repeats} per side")
    print(f"{'task':14s} {'device':8s} {'epochs':>6s} {'pipeline/s':>11s} {'bare/s':>9s} {'ratio':>6s}  (goal >= 0.90)")
    for task, device, epochs, piped, bare, ratio in rows:
        print(f"{task:14s} {device:8s} {epochs:6d} {piped:11.0f} {bare:9.0f} {ratio:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
