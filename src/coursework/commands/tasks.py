"""`coursework list`, `show` and `run`: the tasks, their champions, and runs of them, as tables or --json."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape

from coursework import display
from coursework.cli import ROOT, _fail, _fmt, _quiet_known_failures, _quiet_services, _recover, app, err, out
from coursework.download import is_url, parse_source
from coursework.errors import CourseworkError, SourceError

JSON_HELP = "print JSON on stdout (fields listed in the README, under 'Scripting with --json')"


def _quiet_stdout(as_json: bool):
    """With --json, whatever a library prints while the data is gathered goes to stderr, not into the JSON."""
    return display.stdout_to_stderr() if as_json else contextlib.nullcontext()


def _list_entries(params: Path) -> list[dict[str, Any]]:
    """One entry per task: what it is and its champion, if any."""
    from coursework import tracking
    import pipelines as catalog

    try:
        names = catalog.tasks(params)
    except CourseworkError as exc:
        _fail(exc)
    _recover(ROOT.resolve())
    entries = []
    for name in names:
        spec, champ = catalog.spec(name), tracking.alias_version(name)
        value = champ["metrics"].get(spec.primary_metric) if champ else None
        entries.append({"task": name, "problem": spec.problem, "source": spec.source_label,
                        "description": spec.description, "anchor": spec.anchor,  # the course's reference result
                        "primary_metric": spec.primary_metric, "champion_version": champ["version"] if champ else None,
                        "champion_value": None if value is None else display.finite(value)})
    return entries


@app.command("list")
def list_tasks(params: Path = typer.Option(Path("params.yaml"), help="the params file"),
               as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Every task with its problem type, data source, primary metric and champion."""
    _quiet_services()
    with _quiet_stdout(as_json):
        entries = _list_entries(params)
    if as_json:
        display.print_json(entries)
        return
    out.print(display.table(
        ("task", "problem", "source", "primary metric", "champion", "value"),
        [(e["task"], e["problem"], e["source"], e["primary_metric"],
          f"v{e['champion_version']}" if e["champion_version"] else "-", _fmt(e["champion_value"])) for e in entries],
        fold=("problem", "source", "primary metric")))


def _results_table(results: list[dict]):
    rows = []
    for r in results:
        if r["error"]:
            rows.append((r["task"], f"[red]exit {r['exit_code']}[/]", "-", "-", "-", "-", "-"))  # its error printed above
            continue
        status = "[green]passed[/]" if r["passed_gate"] else "[yellow]gate missed[/]"
        rows.append((r["task"], status, r["primary_metric"], _fmt(r["value"]), _fmt(r["baseline"]),
                     f"v{r['version']}", r["alias"]))
    return display.table(("task", "status", "primary", "value", "baseline", "version", "alias"), rows,
                         title="coursework run", fold=("primary",))


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


def _checked_names(tasks: Optional[list[str]], all_tasks: bool, source: Optional[str], params: Path) -> list[str]:
    """The tasks to run, and a --source that can apply to them, refused before Prefect starts."""
    import pipelines as catalog

    names = catalog.offline_tasks(params) if all_tasks else catalog.check_tasks(list(tasks or []), params)
    if not names:
        raise CourseworkError("name at least one task, or pass --all")
    if source and len(names) != 1:
        raise CourseworkError("--source applies to exactly one task")
    if source and is_url(source):
        parse_source(source)  # plain http or no #sha256= is refused before Prefect starts or anything downloads
    elif source and not Path(source).exists():
        raise SourceError(f"source file does not exist: {source}")
    return names


def _skipped(all_tasks: bool, names: list[str], params: Path) -> list[dict[str, str]]:
    """With --all, the tasks whose data does not ship offline, and what each needs."""
    import pipelines as catalog

    if not all_tasks:
        return []
    return [{"task": name, "needs": catalog.spec(name).external_data}
            for name in sorted(set(catalog.tasks(params)) - set(names))]


def _say_done(summary: dict[str, Any]) -> None:
    if summary["error"]:
        err.print(f"[bold red]{summary['task']} failed:[/] {escape(summary['error'])}", highlight=False)


def _run_all(names: list[str], *, source: Optional[str], params: Path, extra: dict, parallel: int = 1) -> list[dict[str, Any]]:
    """The shared run-all path under this command's temporary Prefect API, with a progress bar on stderr."""
    from flows.all_tasks import run_tasks
    from flows.prefect_server import temporary_api

    position, running = iter(range(1, len(names) + 1)), []
    with temporary_api(ROOT.resolve()), display.task_progress(len(names), err) as (start, done):

        def on_start(name: str) -> None:
            err.rule(f"[{next(position)}/{len(names)}] {name}")
            running.append(name)
            start(", ".join(running))  # with --parallel, every task running now

        def on_done(summary: dict[str, Any]) -> None:
            _say_done(summary)
            running.remove(summary["task"])
            done(summary)

        return run_tasks(names, params_path=str(params), root=str(ROOT.resolve()), source=source, options=extra,
                         on_start=on_start, on_done=on_done, parallel=parallel)


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
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP + "; progress and logs go to stderr"),
    parallel: int = typer.Option(1, "--parallel", help="run up to N tasks at once on N worker processes (each task's log under .coursework/logs/parallel/); 1: one after another"),
) -> None:
    """Run tasks through ingest -> validate -> features -> train -> evaluate -> register, one flow run each."""
    _quiet_services()
    try:
        if parallel < 1:
            raise CourseworkError(f"--parallel must be 1 or more, not {parallel}")
        names = _checked_names(tasks, all_tasks, source, params)
        extra = _dvc_options(names, source, from_snapshot, accept_new_data, metrics_out, plots_out)
    except CourseworkError as exc:
        _fail(exc)
    from flows.local_database import ensure_local_database
    from flows.prefect_server import launch_early

    with _quiet_stdout(as_json):
        try:
            ensure_local_database(say=err.print)  # runs started at once on a fresh machine: one migration, not two
        except CourseworkError as exc:
            _fail(exc)
        launch_early(ROOT)  # the temporary Prefect server boots while the flows below import
        from flows.all_tasks import exit_code

        _quiet_known_failures()
        _recover(ROOT.resolve())
        skipped = _skipped(all_tasks, names, params)
        for entry in skipped:
            err.print(f"skipping {entry['task']}: needs {entry['needs']}; run it by name once you have it")
        results = _run_all(names, source=source, params=params, extra=extra, parallel=parallel)
        (err if as_json else out).print(_results_table(results))
    code = exit_code(results)
    if as_json:
        display.print_json({"exit_code": code, "tasks": results, "skipped": skipped})
    raise typer.Exit(code)


def _champion_json(task: str, champ: dict[str, Any]) -> dict[str, Any]:
    tags = champ["tags"]
    return {"task": task, "version": champ["version"], "run_id": champ["run_id"],
            "data_hash": tags.get("data_hash"), "data_version": tags.get("data_version"),
            "params_hash": tags.get("params_hash"), "git_commit": tags.get("git_commit"),
            "artifact_uri": champ["artifact_uri"], "model_source": champ["source"],
            "metrics": {key: display.finite(value) for key, value in sorted(champ["metrics"].items())},
            "params": dict(sorted(champ["params"].items())), "tags": dict(sorted(tags.items()))}


@app.command()
def show(task: str, as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """The champion's metrics, params, data hash, run id and artefact location."""
    _quiet_services()
    from coursework import tracking
    import pipelines as catalog

    with _quiet_stdout(as_json):
        try:
            catalog.check_tasks([task])
        except CourseworkError as exc:
            _fail(exc)
        _recover(ROOT.resolve())
        champ, anchor = tracking.alias_version(task), catalog.spec(task).anchor
    if champ is None:
        _fail(CourseworkError(f"{task} has no champion yet; run `coursework run {task}`"))
    if as_json:
        display.print_json({**_champion_json(task, champ), "anchor": anchor})
        return
    out.print(f"[bold]{task}[/] champion: version {champ['version']}  run {champ['run_id']}")
    out.print(f"course reference: {anchor or '-'}", markup=False, soft_wrap=True)
    out.print(f"data hash: {champ['tags'].get('data_hash')}   params hash: {champ['tags'].get('params_hash')}   "
              f"git: {champ['tags'].get('git_commit')}")
    out.print(f"artefacts: {champ['artifact_uri']}\nmodel: {champ['source']}")
    out.print(display.table(("metric", "value"), [(k, _fmt(v)) for k, v in sorted(champ["metrics"].items())]))
    out.print(display.table(("param", "value"), sorted(champ["params"].items())))
