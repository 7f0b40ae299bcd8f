"""`coursework schedule [--list]`: the flows as deployments in the running stack's work pool."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from coursework import display, stackfile
from coursework.cli import _fail, _quiet_services, app, err, out
from coursework.errors import CourseworkError


def _stack() -> stackfile.StackState:
    state = stackfile.read(Path.cwd())
    if state is None:
        raise CourseworkError("no stack is running here: Prefect cannot schedule on the temporary server a single "
                              "run starts; run `coursework up` first")
    return state


def _plan(params: Path) -> list:
    import pipelines as catalog
    from flows import schedules

    loaded = catalog.load(params)  # checked whole: a bad cron or time zone is refused before Prefect is asked
    return schedules.plan(loaded, catalog.tasks(params), root=Path.cwd(), params_path=params)


def _register(state: stackfile.StackState, planned: list, params: Path) -> None:
    from flows import alerts, schedules

    with schedules.attached(state.prefect_api_url):
        names = schedules.register(planned, work_pool=state.work_pool)
    timed = [p for p in planned if p.cron or p.interval]
    err.print(f"{len(names)} deployments in work pool {state.work_pool!r} ({len(timed)} on a schedule); "
              "`coursework schedule --list` shows when each runs next", highlight=False)
    late = alerts.ensure_automations(state.prefect_api_url, params, Path.cwd())  # a run that does not start
    if late:
        err.print(f"late-run alerts: {', '.join(late)}", highlight=False)


def _list(state: stackfile.StackState) -> None:
    from flows import schedules

    with schedules.attached(state.prefect_api_url):
        rows = schedules.listing(state.work_pool)
    def when(row) -> str:
        return row.next_run.strftime("%Y-%m-%d %H:%M:%S") if row.next_run else ("paused" if row.paused else "-")

    out.print(display.table(("deployment", "schedule", "next run (UTC)"),
                            [(escape(row.name), escape(row.when), when(row)) for row in rows],
                            title=f"work pool {state.work_pool}", fold=("schedule",)))  # names never cut short
    if not rows:
        err.print("no deployments yet: run `coursework schedule`")


@app.command("schedule")
def schedule(
    list_: bool = typer.Option(False, "--list", help="show the registered deployments and their next run time"),
    params: Path = typer.Option(Path("params.yaml"), help="the params file (its `schedule:` block)"),
) -> None:
    """Register the all-tasks flow and each task as deployments in the stack's work pool, on params.yaml's schedule."""
    _quiet_services()
    try:
        state = _stack()  # first: it is cheap, and nothing here works without it
        planned = None if list_ else _plan(params)
        if list_:
            _list(state)
        else:
            _register(state, planned, params)
    except CourseworkError as exc:
        _fail(exc)
