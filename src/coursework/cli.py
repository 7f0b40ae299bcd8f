"""The `coursework` command: list, run, show, predict and ui over the course tasks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from coursework.errors import CourseworkError, SourceError

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
out = Console()
err = Console(stderr=True)
ROOT = Path(".")


def _quiet_services() -> None:
    """No telemetry calls from a machine that may have no network; set before Prefect or GX import."""
    for key, value in {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
                       "GX_ANALYTICS_ENABLED": "false", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
                       # a fresh machine migrates Prefect's SQLite database on first start: give it time
                       "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"}.items():
        os.environ.setdefault(key, value)


def _fail(exc: CourseworkError) -> None:
    err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(exc.exit_code)


def _fmt(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else ("-" if value is None else str(value))


@app.command("list")
def list_tasks(params: Path = typer.Option(Path("params.yaml"), help="the params file")) -> None:
    """Every task with its problem type, data source, primary metric and champion."""
    _quiet_services()
    from coursework import tracking
    from flows import catalog

    try:
        names = catalog.tasks(params)
    except CourseworkError as exc:
        _fail(exc)
    tracking.configure(ROOT.resolve())
    table = Table("task", "problem", "source", "primary metric", "champion", "value")
    for name in names:
        spec = catalog.spec(name)
        champ = tracking.alias_version(name)
        table.add_row(name, spec.problem, spec.source_label, spec.primary_metric,
                      f"v{champ['version']}" if champ else "-",
                      _fmt(champ["metrics"].get(spec.primary_metric)) if champ else "-")
    out.print(table)


def _results_table(results: list[dict]) -> Table:
    table = Table("task", "status", "primary", "value", "baseline", "version", "alias", title="coursework run")
    for r in results:
        if "error" in r:
            table.add_row(r["task"], f"[red]{r['error_kind']}[/]", "-", "-", "-", "-", "-")
            continue
        m, p = r["metrics"], r["primary"]
        status = "[green]passed[/]" if r["passed_gate"] else "[yellow]gate missed[/]"
        table.add_row(r["task"], status, p, _fmt(m.get(p)), _fmt(m.get(f"baseline_{p}")), f"v{r['version']}", r["alias"])
    return table


@app.command()
def run(
    tasks: list[str] = typer.Argument(None, help="task ids (see `coursework list`)"),
    all_tasks: bool = typer.Option(False, "--all", help="run every task in params.yaml"),
    source: Optional[str] = typer.Option(None, help="a CSV/parquet file (or URL#sha256=...) instead of the default data"),
    params: Path = typer.Option(Path("params.yaml"), help="the params file"),
) -> None:
    """Run tasks through ingest -> validate -> features -> train -> evaluate -> register, one flow run each."""
    _quiet_services()
    from flows import catalog

    try:
        names = catalog.tasks(params) if all_tasks else catalog.check_tasks(list(tasks or []), params)
        if not names:
            raise CourseworkError("name at least one task, or pass --all")
        if source and len(names) != 1:
            raise CourseworkError("--source applies to exactly one task")
        if source and not source.startswith(("http://", "https://")) and not Path(source).exists():
            raise SourceError(f"source file does not exist: {source}")
    except CourseworkError as exc:
        _fail(exc)
    from flows.task_flow import task_flow

    results, code = [], 0
    for i, name in enumerate(names, 1):
        err.rule(f"[{i}/{len(names)}] {name}")
        try:
            results.append(task_flow(name, source=source, params_path=str(params), root=str(ROOT.resolve())))
            code = code or (0 if results[-1]["passed_gate"] else 1)
        except CourseworkError as exc:
            err.print(f"[bold red]{name} failed:[/] {exc}", highlight=False)
            results.append({"task": name, "error": str(exc), "error_kind": type(exc).__name__})
            code = code or exc.exit_code
    out.print(_results_table(results))
    raise typer.Exit(code)


@app.command()
def show(task: str) -> None:
    """The champion's metrics, params, data hash, run id and artefact location."""
    _quiet_services()
    from coursework import tracking
    from flows import catalog

    try:
        catalog.check_tasks([task])
    except CourseworkError as exc:
        _fail(exc)
    tracking.configure(ROOT.resolve())
    champ = tracking.alias_version(task)
    if champ is None:
        _fail(CourseworkError(f"{task} has no champion yet; run `coursework run {task}`"))
    out.print(f"[bold]{task}[/] champion: version {champ['version']}  run {champ['run_id']}")
    out.print(f"data hash: {champ['tags'].get('data_hash')}   params hash: {champ['tags'].get('params_hash')}   "
              f"git: {champ['tags'].get('git_commit')}")
    out.print(f"artefacts: {champ['artifact_uri']}\nmodel: {champ['source']}")
    table = Table("metric", "value")
    for key, value in sorted(champ["metrics"].items()):
        table.add_row(key, _fmt(value))
    out.print(table)
    ptable = Table("param", "value")
    for key, value in sorted(champ["params"].items()):
        ptable.add_row(key, str(value))
    out.print(ptable)


@app.command()
def predict(task: str, input: Path, out_path: Optional[Path] = typer.Option(None, "--out", help="write CSV here")) -> None:
    """Batch predictions from models:/TASK@champion for a CSV/parquet file of inputs."""
    _quiet_services()
    from coursework import ingest, tracking
    from flows import catalog

    try:
        catalog.check_tasks([task])
        frame = ingest.read_table(input)
        spec = catalog.spec(task)
        frame = ingest.apply_aliases(frame, spec.column_aliases)
        missing = [c for c in spec.input_columns if c not in frame.columns]
        if missing:
            raise SourceError(f"{input}: missing input column(s) {missing} that {task}'s model needs")
        tracking.configure(ROOT.resolve())
        if tracking.alias_version(task) is None:
            raise CourseworkError(f"{task} has no champion yet; run `coursework run {task}`")
    except CourseworkError as exc:
        _fail(exc)
    model = tracking.load_alias_model(task)
    result = frame.copy()
    result["prediction"] = model.predict(frame.loc[:, list(spec.input_columns)])
    if out_path:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_path.with_name(f".{out_path.name}.tmp")
        result.to_csv(tmp, index=False)
        tmp.replace(out_path)
        err.print(f"{len(result)} predictions written to {out_path}")
    else:
        result.to_csv(sys.stdout, index=False)


@app.command()
def ui(port: int = typer.Option(5000, help="port on 127.0.0.1")) -> None:
    """The MLflow UI on this project's store, bound to 127.0.0.1."""
    from coursework import tracking

    uri = os.environ.get("MLFLOW_TRACKING_URI") or tracking.default_tracking_uri(ROOT.resolve())
    cmd = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", uri, "--host", "127.0.0.1", "--port", str(port)]
    err.print(f"MLflow UI on http://127.0.0.1:{port} (store {uri}); Ctrl-C stops it")
    raise typer.Exit(subprocess.call(cmd))


def main() -> None:
    app()
