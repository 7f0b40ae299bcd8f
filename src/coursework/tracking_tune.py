"""tracking_tune: a `coursework tune` call in MLflow: one parent run, one child run per Optuna trial."""

from __future__ import annotations

import json
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

import mlflow
import optuna
from mlflow.entities import Metric, Param, RunTag
from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID, MLFLOW_RUN_NAME

from coursework import fsutil, tracking

STATES = {optuna.trial.TrialState.COMPLETE: "complete", optuna.trial.TrialState.PRUNED: "pruned",
          optuna.trial.TrialState.FAIL: "failed"}


@contextmanager
def parent_run(task: str, root: Path, *, study_name: str, storage: str, tags: Mapping[str, str]) -> Iterator[str]:
    """The call's parent run in the task's experiment (FAILED if the block raises); yields its run id."""
    run_tags = {"kind": "tune", "optuna.study": study_name, "optuna.storage": storage, **tags}
    with tracking.task_run(task, root, run_name=f"tune-{study_name}", tags=run_tags) as run_id:
        yield run_id


def _ms(moment) -> int:
    return int(moment.timestamp() * 1000) if moment else int(time.time() * 1000)


class TrialLogger:
    """An Optuna callback: each finished trial becomes a child run of the parent, from whichever process ran it."""

    def __init__(self, parent_run_id: str, *, worker: int):
        self.client = tracking.mlflow_client()
        self.parent = parent_run_id
        self.experiment_id = self.client.get_run(parent_run_id).info.experiment_id
        self.worker = worker

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        state = STATES.get(trial.state, trial.state.name.lower())
        tags = {MLFLOW_PARENT_RUN_ID: self.parent, MLFLOW_RUN_NAME: f"trial-{trial.number}", "kind": "tune-trial",
                "optuna.study": study.study_name, "optuna.trial": str(trial.number), "state": state,
                "worker": str(self.worker), **fsutil.process_tags()}
        run = self.client.create_run(self.experiment_id, start_time=_ms(trial.datetime_start), tags=tags)
        stamp = _ms(trial.datetime_complete)
        metrics = [Metric("intermediate_value", float(v), stamp, int(step))
                   for step, v in sorted(trial.intermediate_values.items())]
        if trial.value is not None:
            metrics.append(Metric("value", float(trial.value), stamp, 0))
        if trial.duration is not None:
            metrics.append(Metric("duration_s", trial.duration.total_seconds(), stamp, 0))
        params = [Param(k, str(v)) for k, v in trial.params.items()]
        self.client.log_batch(run.info.run_id, metrics=metrics, params=params, tags=[RunTag("optuna.number", str(trial.number))])
        self.client.set_terminated(run.info.run_id, status="FINISHED", end_time=stamp)


def child_runs(parent_run_id: str) -> list[dict[str, Any]]:
    """The parent's child runs as {'run_id', 'tags', 'params', 'metrics'} (for tests and the summary)."""
    client = tracking.mlflow_client()
    experiment_id = client.get_run(parent_run_id).info.experiment_id
    runs = client.search_runs([experiment_id], filter_string=f"tags.`{MLFLOW_PARENT_RUN_ID}` = '{parent_run_id}'",
                              max_results=10_000)
    return [{"run_id": r.info.run_id, "tags": r.data.tags, "params": r.data.params, "metrics": r.data.metrics}
            for r in runs]


def log_summary(study: optuna.Study, summary: Mapping[str, Any]) -> None:
    """On the active parent run: the best trial, counts, the trials table and Optuna's plots."""
    mlflow.log_dict(json.loads(json.dumps(summary, default=str)), "tuning/summary.json")
    mlflow.log_metrics({k: float(summary[k]) for k in ("trials", "complete", "pruned", "this_call") if k in summary})
    if summary.get("best_value") is not None:
        mlflow.log_metric("best_value", float(summary["best_value"]))
        mlflow.log_params({f"best.{k}": v for k, v in summary["best_params"].items()})
        mlflow.set_tag("best_trial", str(summary["best_trial"]))
    mlflow.log_text(study.trials_dataframe().to_csv(index=False), "tuning/trials.csv")
    _log_plots(study)


def _log_plots(study: optuna.Study) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as optuna_plots

    for name, plot in (("optimization_history", optuna_plots.plot_optimization_history),
                       ("param_importances", optuna_plots.plot_param_importances)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # both plots are marked experimental; the marker is noise here
                axes = plot(study)
        except (ValueError, RuntimeError) as exc:  # importances need two complete trials that differ
            mlflow.set_tag(f"plot.{name}", f"not drawn: {exc}")
            continue
        figure = axes.figure if hasattr(axes, "figure") else axes.flat[0].figure
        mlflow.log_figure(figure, f"tuning/{name}.png")
        plt.close(figure)
