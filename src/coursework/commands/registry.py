"""`coursework promote`, `rollback` and `history`: moving a task's champion by hand, with an audit trail."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from coursework.cli import ROOT, _fail, _quiet_services, _recover, app, err, out
from coursework.errors import CourseworkError


def _ready(task: str) -> None:
    """An unknown task is refused (exit 2); the store is configured and a killed run's leftovers put right."""
    import pipelines as catalog

    try:
        catalog.check_tasks([task])
    except CourseworkError as exc:
        _fail(exc)
    _recover(ROOT.resolve())


def _say(line: str) -> None:
    err.print(escape(line), highlight=False)


def _moved(task: str, entry) -> None:
    """Say the move, then alert the notify block's webhooks (a failed send is a warning: the move stands)."""
    from flows import alerts

    before = f"v{entry.from_version}" if entry.from_version is not None else "none"
    out.print(f"{task}: champion {before} -> v{entry.to_version} "
              f"({entry.kind}, by {escape(entry.user)}): {escape(entry.reason)}", highlight=False)
    alerts.champion_changed(ROOT.resolve(), task, entry.from_version, entry.to_version, entry.kind, entry.reason,
                            entry.user)


@app.command()
def promote(
    task: str = typer.Argument(..., help="task id"),
    version: int = typer.Argument(..., help="the model version to make champion"),
    reason: str = typer.Option(..., "--reason", help="why: recorded in the audit trail with your user name"),
    force: bool = typer.Option(False, "--force", help="promote a version that missed its gate"),
) -> None:
    """Make VERSION the champion of TASK by hand (checked: complete, files intact, gate passed or --force)."""
    _quiet_services()
    from coursework import promotion

    _ready(task)
    try:
        entry = promotion.promote(task, version, reason=reason, force=force, root=ROOT.resolve(), say=_say)
    except CourseworkError as exc:
        _fail(exc)
    if entry is None:
        out.print(f"{task}: version {version} is already the champion; nothing moved, nothing recorded")
        return
    _moved(task, entry)


@app.command()
def rollback(
    task: str = typer.Argument(..., help="task id"),
    reason: str = typer.Option(..., "--reason", help="why: recorded in the audit trail with your user name"),
) -> None:
    """Move TASK's champion back to the champion before it (from the audit trail)."""
    _quiet_services()
    from coursework import promotion

    _ready(task)
    try:
        entry = promotion.rollback(task, reason=reason, root=ROOT.resolve(), say=_say)
    except CourseworkError as exc:
        _fail(exc)
    _moved(task, entry)


@app.command()
def history(
    task: str = typer.Argument(..., help="task id"),
    as_json: bool = typer.Option(False, "--json", help="a JSON list of objects, oldest first"),
) -> None:
    """Every alias move of TASK, oldest first: when, which alias, from and to which version, who, why, how."""
    _quiet_services()
    from coursework import promotion

    _ready(task)
    entries = promotion.history(task)
    if as_json:
        typer.echo(json.dumps([e.public() for e in entries], indent=2, ensure_ascii=False))
        return
    table = Table(title=f"{task}: alias moves")
    for name in ("time (UTC)", "alias", "from", "to", "user", "kind"):
        table.add_column(name, no_wrap=True)  # a time or version cut short would be misread
    table.add_column("reason", overflow="fold")
    for e in entries:
        before = f"v{e.from_version}" if e.from_version is not None else "-"
        table.add_row(e.time[:19].replace("T", " "), e.alias, before, f"v{e.to_version}", escape(e.user), e.kind,
                      escape(e.reason))
    out.print(table)
