"""The `coursework` command: list, run, show, predict and ui over the course tasks."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from coursework.download import is_url, parse_source
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


class _NoConsoleTraceback(logging.Filter):
    """The CLI reports every failure itself: a CourseworkError in one message, anything else in a log file
    named on one line. Prefect's console copy would add only a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info:
            record.exc_info, record.exc_text = None, None
        return True


def _quiet_known_failures() -> None:
    for handler in logging.getLogger().handlers:  # Prefect's console handler sits on the root logger
        handler.addFilter(_NoConsoleTraceback())


def _fail(exc: CourseworkError) -> None:
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(exc.exit_code)


def _recover(root: Path) -> None:
    """Put right what a killed run of this host left (its MLflow run, versions, folders, server); say what."""
    from coursework import recovery, tracking

    tracking.configure(root)
    recovery.sweep(root, say=lambda line: err.print(f"[yellow]recovered:[/] {escape(line)}", highlight=False))


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
    _recover(ROOT.resolve())
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


def _dvc_options(names: list[str], source: Optional[str], from_snapshot: bool, accept_new_data: bool,
                 metrics_out: Optional[Path], plots_out: Optional[Path]) -> dict:
    """The flow's data-version and DVC-output arguments, checked."""
    if from_snapshot and (source or accept_new_data):
        raise CourseworkError("--from-snapshot reads data/<task>/ as recorded; it takes no --source or --accept-new-data")
    if (metrics_out or plots_out) and len(names) != 1:
        raise CourseworkError("--metrics-out and --plots-out apply to exactly one task")
    from coursework import reports  # refused here, before anything is trained or registered

    if metrics_out:
        reports.check_metrics_target(metrics_out)
    if plots_out:
        reports.check_plots_target(plots_out)
    return {"from_snapshot": from_snapshot, "accept_new_data": accept_new_data,
            "metrics_out": str(metrics_out.resolve()) if metrics_out else None,
            "plots_out": str(plots_out.resolve()) if plots_out else None}


@app.command()
def run(
    tasks: list[str] = typer.Argument(None, help="task ids (see `coursework list`)"),
    all_tasks: bool = typer.Option(False, "--all", help="run every task whose data ships offline (the others are listed)"),
    source: Optional[str] = typer.Option(None, help="a CSV/parquet file (or URL#sha256=...) instead of the default data"),
    params: Path = typer.Option(Path("params.yaml"), help="the params file"),
    from_snapshot: bool = typer.Option(False, "--from-snapshot", help="read the validated data/<task>/ snapshot (as data.dvc records it) instead of ingesting; what `dvc repro` runs"),
    accept_new_data: bool = typer.Option(False, "--accept-new-data", help="let a default source whose bytes differ from data.dvc become a new data version"),
    metrics_out: Optional[Path] = typer.Option(None, "--metrics-out", help="also write the test metrics to this JSON file (a DVC metrics output)"),
    plots_out: Optional[Path] = typer.Option(None, "--plots-out", help="also write the plots as PNGs into this folder (a DVC plots output)"),
) -> None:
    """Run tasks through ingest -> validate -> features -> train -> evaluate -> register, one flow run each."""
    _quiet_services()
    from flows import catalog

    try:
        names = catalog.offline_tasks(params) if all_tasks else catalog.check_tasks(list(tasks or []), params)
        if not names:
            raise CourseworkError("name at least one task, or pass --all")
        if source and len(names) != 1:
            raise CourseworkError("--source applies to exactly one task")
        if source and is_url(source):
            parse_source(source)  # plain http or no #sha256= is refused before Prefect starts or anything downloads
        elif source and not Path(source).exists():
            raise SourceError(f"source file does not exist: {source}")
        extra = _dvc_options(names, source, from_snapshot, accept_new_data, metrics_out, plots_out)
    except CourseworkError as exc:
        _fail(exc)
    from flows.local_database import ensure_local_database
    from flows.prefect_server import temporary_api
    from flows.task_flow import task_flow

    _quiet_known_failures()
    try:
        ensure_local_database(say=err.print)  # runs started at once on a fresh machine: one migration, not two
    except CourseworkError as exc:
        _fail(exc)
    _recover(ROOT.resolve())
    if all_tasks:
        for name in sorted(set(catalog.tasks(params)) - set(names)):
            err.print(f"skipping {name}: needs {catalog.spec(name).external_data}; run it by name once you have it")
    results, code = [], 0
    with temporary_api(ROOT.resolve()):  # a server of our own that dies with this process, even on kill -9
        for i, name in enumerate(names, 1):
            err.rule(f"[{i}/{len(names)}] {name}")
            try:
                results.append(task_flow(name, source=source, params_path=str(params), root=str(ROOT.resolve()), **extra))
                code = code or (0 if results[-1]["passed_gate"] else 1)
            except CourseworkError as exc:
                err.print(f"[bold red]{name} failed:[/] {escape(str(exc))}", highlight=False)
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
    _recover(ROOT.resolve())
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
    """Batch predictions from models:/TASK@champion (its files checked against their sha256) for a CSV/parquet file."""
    _quiet_services()
    from coursework import ingest, prediction, tracking
    from flows import catalog

    try:
        catalog.check_tasks([task])
        if out_path:
            prediction.check_out_path(out_path)
        spec = catalog.spec(task)
        frame = ingest.apply_aliases(ingest.read_table(input), spec.column_aliases)
        inputs, extra = prediction.input_columns(frame, spec.input_columns, task=task, source=input)
        if extra:
            err.print(f"[yellow]warning:[/] {input}: column(s) {extra} are not inputs of {task}'s model: "
                      "passed through to the output, not used", highlight=False)
        tracking.configure(ROOT.resolve())
        if tracking.alias_version(task) is None:
            raise CourseworkError(f"{task} has no champion yet; run `coursework run {task}`")
        model = tracking.load_alias_model(task)
        result = frame.copy()
        result["prediction"] = tracking.predict_frame(model, inputs)
        if out_path:
            prediction.write_predictions(result, out_path)
    except CourseworkError as exc:
        _fail(exc)
    if out_path:
        err.print(f"{len(result)} predictions written to {out_path}")
    else:
        result.to_csv(sys.stdout, index=False)


@app.command()
def ui(port: int = typer.Option(5000, help="port on 127.0.0.1")) -> None:
    """The MLflow UI on this project's store, bound to 127.0.0.1."""
    from coursework import tracking

    uri = os.environ.get("MLFLOW_TRACKING_URI") or tracking.default_tracking_uri(ROOT.resolve())
    cmd = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", uri, "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    err.print(f"MLflow UI on http://127.0.0.1:{port} (store {uri}); Ctrl-C stops it")
    raise typer.Exit(subprocess.call(cmd))


data_app = typer.Typer(no_args_is_help=True, help="The raw snapshots in data/ and their version, data.dvc.")
app.add_typer(data_app, name="data")


def _short(sha: Optional[str]) -> str:
    return sha[:12] if sha else "-"


@data_app.command("check")
def data_check(tasks: list[str] = typer.Argument(None, help="only these tasks (default: all in data/ or data.dvc)")) -> None:
    """Compare data/ with data.dvc and name every task whose data differs; exit 5 if any does."""
    from coursework import versioning
    from coursework.errors import DataVersionError

    try:
        record, diffs = versioning.compare_workspace(ROOT.resolve(), list(tasks or []) or None)
    except CourseworkError as exc:
        _fail(exc)
    out.print(f"data version (data.dvc md5): {record.version}")
    if record.stale:
        err.print("[yellow]data.dvc's per-task hashes were written for another md5 (was `dvc add data` run by hand?)[/]")
    if not diffs:
        out.print("data/ matches data.dvc")
        return
    table = Table("task", "status", "recorded sha256", "found sha256", title="data that is not the recorded version")
    for d in diffs:
        table.add_row(d.task, d.status, _short(d.recorded), _short(d.found))
    out.print(table)
    err.print(f"[bold red]data differs from data.dvc for:[/] {', '.join(d.task for d in diffs)}. "
              f"`dvc pull` (or `dvc checkout data.dvc`) restores the recorded data; "
              f"`coursework data rebuild TASK` re-ingests it and checks it.", highlight=False)
    raise typer.Exit(DataVersionError.exit_code)


@data_app.command("rebuild")
def data_rebuild(
    tasks: list[str] = typer.Argument(None, help="task ids"),
    all_tasks: bool = typer.Option(False, "--all", help="every task in params.yaml"),
    params: Path = typer.Option(Path("params.yaml"), help="the params file"),
    accept_new_data: bool = typer.Option(False, "--accept-new-data", help="record a source whose bytes changed as a new data version"),
) -> None:
    """Ingest tasks' default sources again into data/ (no training): each batch checked against data.dvc and validated."""
    _quiet_services()
    from coursework import versioning
    from coursework.config import task_params
    from coursework.fsutil import LockTimeout
    from flows import catalog

    root, rows, code, version = ROOT.resolve(), [], 0, None
    try:
        names = catalog.offline_tasks(params) if all_tasks else catalog.check_tasks(list(tasks or []), params)
        if not names:
            raise CourseworkError("name at least one task, or pass --all")
        loaded = catalog.load(params)
    except CourseworkError as exc:
        _fail(exc)
    for name in names:
        try:
            sha, recorded = versioning.rebuild_snapshot(root, spec=catalog.spec(name), params=task_params(loaded, name),
                                                        accept=accept_new_data, say=err.print)
            if recorded.warning:
                err.print(f"[yellow]warning:[/] {escape(recorded.warning)}", highlight=False)
            rows.append((name, "[green]ok[/]", _short(sha)))
            version = recorded.version
        except CourseworkError as exc:
            err.print(f"[bold red]{name} failed:[/] {escape(str(exc))}", highlight=False)
            rows.append((name, f"[red]{type(exc).__name__}[/]", "-"))
            code = code or exc.exit_code
            if isinstance(exc, LockTimeout):  # the data lock stays busy: every other task would wait as long again
                break
    table = Table("task", "result", "raw sha256", title=f"data version: {version or '-'}")
    for row in rows:
        table.add_row(*row)
    out.print(table)
    raise typer.Exit(code)


@data_app.command("validate")
def data_validate(
    task: str = typer.Argument(..., help="task id"),
    report: Path = typer.Option(..., "--report", help="write the validation result to this JSON file (a DVC stage output)"),
) -> None:
    """Validate the recorded snapshot data/TASK/ again (no ingest, no DVC); exit 3 if it fails its expectations."""
    _quiet_services()
    import json

    from coursework import fsutil, versioning
    from coursework.errors import ValidationFailed
    from flows import catalog

    try:
        catalog.check_tasks([task])
        _, snapshot, result = versioning.validate_snapshot(ROOT.resolve(), spec=catalog.spec(task))
        fsutil.atomic_write_text(report, json.dumps({"task": task, "data_hash": snapshot.content_hash, **result},
                                                    indent=2, sort_keys=True, default=str) + "\n")
        if not result["success"]:
            raise ValidationFailed(task, result["failures"])
    except CourseworkError as exc:
        _fail(exc)
    out.print(f"{task}: data/{task} passed {result['evaluated']} expectations; report written to {report}")


EX_SOFTWARE = 70  # an unexpected internal error (sysexits.h): a bug or a broken environment, never the user's input


def _error_log(exc: BaseException) -> Path:
    """The full traceback in .coursework/logs/error-<UTC time>.log (the temp folder if that is unwritable)."""
    from datetime import datetime, timezone

    from coursework.fsutil import atomic_write_text

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    text = (f"coursework {' '.join(sys.argv[1:])}\ncwd {Path.cwd()}\ntime {stamp}\n\n"
            + "".join(traceback.format_exception(exc)))
    for folder in (ROOT / ".coursework" / "logs", Path(tempfile.gettempdir()) / "coursework-logs"):
        try:
            return atomic_write_text(folder / f"error-{stamp}.log", text)
        except OSError:
            continue
    raise exc  # nowhere to write: the traceback on the console is better than nothing


def main() -> None:
    """The console script: exit codes as the README lists them; an unexpected error exits 70 with a log file."""
    try:
        app()
    except Exception as exc:  # noqa: BLE001 - the one place every unexpected error is turned into exit 70
        log = _error_log(exc)
        first = (str(exc).strip().splitlines() or [""])[0][:160]
        summary = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
        err.print(f"[bold red]internal error:[/] {escape(summary)}; the traceback is in {log.resolve()}",
                  highlight=False, soft_wrap=True)
        sys.exit(EX_SOFTWARE)
from coursework.commands import stack  # noqa: E402,F401
