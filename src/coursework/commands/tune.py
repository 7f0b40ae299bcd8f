"""`coursework tune` (a task's persistent study, run by K worker processes) and `coursework tune-ui`."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import typer
from rich.markup import escape
from rich.table import Table

from coursework.cli import ROOT, _fail, _quiet_services, app, err, out
from coursework.commands import tune_workers
from coursework.errors import ConfigError, CourseworkError, DataVersionError
from coursework.urls import redact_url

@dataclass(frozen=True)
class Setup:
    """A task's study, read once: its objective on the training split and what names it."""

    task: str
    root: Path
    params: Any
    spec: Any
    model: str
    objective: Callable
    name: str
    data_hash: str
    storage_url: str

    @property
    def direction(self) -> str:
        return "maximize" if self.spec.greater_is_better else "minimize"


def _setup(task: str, params_path: Path, storage: Optional[str]) -> Setup:
    """Check the task and its tune block, load the validated snapshot, build the objective (training split only)."""
    from coursework import features, ingest, study, tune, versioning
    from coursework.config import task_params
    import pipelines as catalog

    root = ROOT.resolve()
    catalog.check_tasks([task], params_path)
    params, spec = task_params(catalog.load(params_path), task), catalog.spec(task)
    if not params.tune.space:
        raise ConfigError(f"{task}.tune.space is empty: nothing to tune (add a space to its tune block in {params_path})")
    frame, snapshot = ingest.load_snapshot(root / "data" / task)
    data_hash = versioning.check_snapshot(root, task, snapshot.data_path, snapshot.content_hash)
    split, pipeline = features.task_split(spec, params, frame)  # the test split is never seen
    model, objective = tune.task_objective(
        problem=spec.family, primary=spec.primary_metric, factories=spec.models, candidates=params.models,
        features=pipeline, X=split.X_train, y=split.y_train, tune=params.tune, seed=params.seed, shuffle=params.split.shuffle)
    return Setup(task=task, root=root, params=params, spec=spec, model=model, objective=objective,
                 name=study.study_name(task, data_hash, params.tune.space, model), data_hash=data_hash,
                 storage_url=storage or study.DEFAULT_STORAGE)


def _budget(trials: Optional[int], timeout: Optional[float], tune: Any) -> tuple[Optional[int], Optional[float]]:
    """Trials and timeout of this call: the options, else the tune block's; at least one must be set."""
    if trials is None and timeout is None:
        trials, timeout = (tune.n_trials or None), tune.timeout
    if trials is None and timeout is None:
        raise ConfigError("the tune block sets n_trials 0 and no timeout: pass --trials N or --timeout S")
    return trials, timeout


def _summary(setup: Setup, optuna_study, before: int, parent_run: str) -> dict[str, Any]:
    from coursework import study

    done = study.finished(optuna_study)
    best = study.best_trial(optuna_study)
    states = [t.state.name.lower() for t in done]
    return {"study": setup.name, "storage": redact_url(setup.storage_url), "model": setup.model,
            "metric": f"cv_{setup.spec.primary_metric}", "data_hash": setup.data_hash,
            "space_hash": study.space_hash(setup.params.tune.space, setup.model), "trials": len(done),
            "this_call": len(done) - before, "complete": states.count("complete"), "pruned": states.count("pruned"),
            "best_trial": best.number if best else None, "best_value": best.value if best else None,
            "best_params": dict(best.params) if best else {}, "mlflow_run": parent_run}


def _report(task: str, summary: dict[str, Any], tuned_path: Optional[Path]) -> None:
    # the study's name on a line of its own: a table would cut it short on a narrow terminal or a pipe
    out.print(f"study {summary['study']} in {summary['storage']}", highlight=False, soft_wrap=True)
    table = Table("trials (this call)", "complete", "pruned", f"best {summary['metric']}", "best params",
                  title=f"coursework tune {task}: {summary['model']}")
    best = "-" if summary["best_value"] is None else f"{summary['best_value']:.4f} (trial {summary['best_trial']})"
    table.add_row(f"{summary['trials']} ({summary['this_call']})", str(summary["complete"]), str(summary["pruned"]),
                  best, escape(str(summary["best_params"])))
    out.print(table)
    if tuned_path:
        out.print(f"best params written to {tuned_path}; `coursework run {task}` trains with them", soft_wrap=True)


@app.command("tune")
def tune_command(
    task: str = typer.Argument(..., help="task id (see `coursework list`)"),
    trials: Optional[int] = typer.Option(None, "--trials", min=1, help="trials to add (default: the tune block's n_trials)"),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=0.001, help="stop starting trials after S seconds"),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="worker processes sharing the study"),
    storage: Optional[str] = typer.Option(None, "--storage", help="journal:PATH, sqlite:///PATH or postgresql://... (default journal:mlruns/optuna.journal)"),
    params: Path = typer.Option(Path("params.yaml"), help="the params file"),
    worker_index: Optional[int] = typer.Option(None, "--worker-index", hidden=True),
    parent_run: Optional[str] = typer.Option(None, "--parent-run", hidden=True),
    study_name: Optional[str] = typer.Option(None, "--study", hidden=True),
) -> None:
    """Run or continue TASK's Optuna study on its training split; write the best params to tuned/TASK.yaml."""
    _quiet_services()
    from coursework import study, tracking, tracking_tune, tuned

    try:
        setup = _setup(task, params, storage)
        trials, timeout = _budget(trials, timeout, setup.params.tune)
        tracking.configure(setup.root)
        if worker_index is not None:  # a worker of another `coursework tune`: its share, then exit
            if study_name != setup.name:
                raise DataVersionError(f"{task}: the data or space changed under the study {study_name}", tasks=[task])
            tune_workers.optimize(setup, worker_index, parent_run, trials, timeout)
            return
        tuned.check_ours(setup.root, task)  # refused before any trial runs, not after
        before = len(study.finished(tune_workers.open_shared(setup, 0)))
        with tracking_tune.parent_run(task, setup.root, study_name=setup.name, storage=redact_url(setup.storage_url),
                                      tags={"workers": str(workers)}) as run_id:
            optuna_study = tune_workers.run_all(setup, workers, trials, timeout, params, run_id, before)
            summary = _summary(setup, optuna_study, before, run_id)
            tracking_tune.log_summary(optuna_study, summary)
        path = tuned.write_tuned(setup.root, task, _tuned_record(summary)) if summary["best_value"] is not None else None
    except CourseworkError as exc:
        _fail(exc)
    _report(task, summary, path)


def _tuned_record(summary: dict[str, Any]) -> dict[str, Any]:
    """What tuned/<task>.yaml holds: the model and its params, and where they came from."""
    keys = ("model", "study", "storage", "data_hash", "space_hash", "metric", "best_value", "best_trial", "trials",
            "mlflow_run")
    return {**{k: summary[k] for k in keys}, "params": dict(summary["best_params"])}


@app.command("tune-ui")
def tune_ui(
    task: str = typer.Argument(..., help="task id"),
    port: int = typer.Option(8080, help="port on 127.0.0.1"),
    storage: Optional[str] = typer.Option(None, "--storage", help="the study storage (default journal:mlruns/optuna.journal)"),
    params: Path = typer.Option(Path("params.yaml"), help="the params file"),
) -> None:
    """optuna-dashboard on TASK's study storage, bound to 127.0.0.1."""
    from coursework import study
    from coursework.config import read_params, task_names
    from coursework.errors import UnknownTaskError

    try:  # the task's name only: importing every task's code to check it would double the dashboard's start
        if task not in task_names(read_params(params)):
            raise UnknownTaskError(f"unknown task '{task}'; known tasks: {', '.join(task_names(read_params(params)))}")
        url = storage or study.DEFAULT_STORAGE
        path = study.journal_path(url, ROOT.resolve())
        if path is not None and not path.is_file():
            raise ConfigError(f"no study storage at {path}: run `coursework tune {task}` first")
    except CourseworkError as exc:
        _fail(exc)
    target = str(path) if path is not None else url
    cmd = [str(Path(sys.executable).with_name("optuna-dashboard")), target, "--host", "127.0.0.1", "--port", str(port)]
    err.print(f"optuna-dashboard on http://127.0.0.1:{port} (storage {redact_url(url)}; {task}'s studies are named "
              f"{task}-<data>-<space>); Ctrl-C stops it")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(cmd[0], cmd)  # the dashboard takes this process's place: Ctrl-C or a signal stops it, no orphan
