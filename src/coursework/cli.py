"""The `coursework` command: list, run, show, predict and ui over the course tasks."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from coursework import display, errorlog, warm
from coursework.errors import CourseworkError

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
out = display.stdout_console()  # into a pipe at full width: no id cut short for grep
err = Console(stderr=True)
ROOT = Path(".")


def _quiet_services() -> None:
    """No telemetry calls from a machine that may have no network; set before Prefect or GX import."""
    for key, value in warm.QUIET_ENV.items():
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


@app.command()
def predict(task: str, input: Path, out_path: Optional[Path] = typer.Option(None, "--out", help="write CSV here")) -> None:
    """Batch predictions from models:/TASK@champion (its files checked against their sha256) for a CSV/parquet file."""
    _quiet_services()
    from coursework import ingest, prediction, tracking
    import pipelines as catalog

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
    from coursework import workspace
    from coursework.errors import DataVersionError

    try:
        record, diffs = workspace.compare_workspace(ROOT.resolve(), list(tasks or []) or None)
    except CourseworkError as exc:
        _fail(exc)
    out.print(f"data version (data.dvc md5): {record.version}")
    if record.stale:
        err.print("[yellow]data.dvc's per-task hashes were written for another md5 (was `dvc add data` run by hand?)[/]")
    if not diffs:
        out.print("data/ matches data.dvc")
        return
    out.print(display.table(("task", "status", "recorded sha256", "found sha256"),
                            [(d.task, d.status, _short(d.recorded), _short(d.found)) for d in diffs],
                            title="data that is not the recorded version"))
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
    import pipelines as catalog

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
    out.print(display.table(("task", "result", "raw sha256"), rows, title=f"data version: {version or '-'}"))
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
    import pipelines as catalog

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


def _exit_now(code: object) -> None:
    """Exit as Python would, less its teardown of every imported module (seconds after Prefect, MLflow and
    scikit-learn): other threads are joined, exit handlers run and the streams are flushed first."""
    import atexit
    import threading

    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    # what the interpreter does first at exit: the threading exit hooks (a thread pool's workers are told to
    # stop there; joining them before that waits forever), then every non-daemon thread joined
    threading._shutdown()  # noqa: SLF001
    atexit._run_exitfuncs()  # noqa: SLF001 - what the interpreter runs at exit, without the module teardown
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


def main() -> None:
    """The console script: exit codes as the README lists them; an unexpected error exits 70 with a log file."""
    try:
        app()
    except SystemExit as done:
        _exit_now(done.code)
    except Exception as exc:  # noqa: BLE001 - the one place every unexpected error is turned into exit 70
        log = errorlog.write(exc, ROOT)
        err.print(f"[bold red]internal error:[/] {escape(errorlog.summary(exc))}; the traceback is in {log}",
                  highlight=False, soft_wrap=True)
        _exit_now(errorlog.EX_SOFTWARE)


from coursework.commands import registry, schedule, stack, tune, tasks as task_commands  # noqa: E402,F401
from coursework.commands import serve as _serve  # noqa: E402,F401
from coursework.commands import app as app_command  # noqa: E402,F401
