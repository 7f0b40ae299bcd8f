"""`coursework up`, `status` and `down`: a long-lived Prefect server, its workers and an MLflow server."""

from __future__ import annotations

import json
import socket
import time
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from coursework import stack as lib
from coursework import stack_control as control
from coursework import stackfile
from coursework.cli import ROOT, _fail, _quiet_services, app, err, out
from coursework.errors import CourseworkError
from coursework.urls import redact_url


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _plan(workers: int, database: Optional[str], host: str, port_base: int) -> lib.Plan:
    if database:
        lib.check_database(database)
    if host != lib.LOOPBACK:
        lib.check_credentials(host)
    prefect_port, mlflow_port = (port_base, port_base + 1) if port_base else (_free_port(host), _free_port(host))
    return lib.Plan(root=ROOT.resolve(), workers=workers, host=host, prefect_port=prefect_port,
                    mlflow_port=mlflow_port, database=database)


def _prepare_stores(plan: lib.Plan) -> None:
    """Stores made before the servers start: MLflow's SQLite migrated under the runs' lock, Prefect's Postgres DB."""
    if plan.database:
        lib.ensure_prefect_database(plan)
        return
    from coursework import tracking

    tracking.ensure_store(lib.mlflow_store(plan), plan.root)  # a run starting now must not race the server on it


def _start(plan: lib.Plan, runner: bool) -> stackfile.StackState:
    """Start every service and wait for each; on any failure stop what was started and re-raise."""
    started: list[stackfile.Service] = []
    try:
        started += [lib.start_prefect(plan), lib.start_mlflow(plan)] + ([lib.start_runner(plan)] if runner else [])
        state = _state(plan, started)
        control.wait_healthy(state)  # both servers first: the pool is made on Prefect's, a dead MLflow fails fast
        from flows.stack import ensure_work_pool

        ensure_work_pool(state.prefect_api_url, lib.POOL)
        started += [lib.start_worker(plan, i, state.prefect_api_url) for i in range(1, plan.workers + 1)]
        state = _state(plan, started)
        control.wait_healthy(state)
        return state
    except BaseException:
        control.stop_all(tuple(reversed(started)))
        raise


def _state(plan: lib.Plan, services: list[stackfile.Service]) -> stackfile.StackState:
    return stackfile.StackState(prefect_api_url=services[0].url, mlflow_tracking_uri=services[1].url,
                                work_pool=lib.POOL, database=redact_url(plan.database) if plan.database else "sqlite",
                                services=tuple(services))


@app.command()
def up(
    workers: int = typer.Option(1, "--workers", min=0, help="process workers polling the `coursework` work pool"),
    database: Optional[str] = typer.Option(None, "--database", envvar="COURSEWORK_DATABASE",
                                           help="postgresql://user:password@host:port/db for Prefect's and MLflow's stores (or $COURSEWORK_DATABASE)"),
    host: str = typer.Option(lib.LOOPBACK, "--host", help="address to bind; beyond 127.0.0.1 MLflow's basic auth is on"),
    port_base: int = typer.Option(0, "--port-base", min=0, max=65534, help="Prefect on this port, MLflow on the next (default: free ports)"),
    runner: bool = typer.Option(True, "--runner/--no-runner", help="a warm runner that forks `run` and `data validate` after the imports"),
) -> None:
    """Start Prefect's server, a process work pool with N workers, an MLflow server and the warm runner, in the background."""
    _quiet_services()
    root = ROOT.resolve()
    running = stackfile.read(root)
    if running is not None:
        out.print(f"a stack is already running: Prefect {running.prefect_api_url}, MLflow {running.mlflow_tracking_uri}; "
                  "`coursework status` shows it, `coursework down` stops it", highlight=False)
        return
    try:
        plan = _plan(workers, database, host, port_base)
        stale, survivors = control.teardown(root)  # a stack whose processes died: clear what it left
        if stale is not None:
            err.print(f"cleared a stack that was no longer running{f' (pids {survivors} would not stop)' if survivors else ''}")
        _prepare_stores(plan)
        begun = time.monotonic()
        state = _start(plan, runner)
    except CourseworkError as exc:
        _fail(exc)
    lib.record_database(root, plan.database)
    stackfile.write(root, state)
    out.print(f"stack healthy in {time.monotonic() - begun:.1f} s: Prefect {state.prefect_api_url}, "
              f"MLflow {state.mlflow_tracking_uri}, pool {state.work_pool} with {workers} worker(s), "
              f"{'a warm runner, ' if runner else ''}"
              f"database {state.database}; logs in {root / lib.LOGS}", highlight=False)


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="one JSON object instead of a table")) -> None:
    """Each service of the running stack: URL, pid and a real health check. Exit 69 if one is down, 2 if none is up."""
    state = stackfile.load(ROOT.resolve())
    if state is None:
        _fail(CourseworkError("no stack is running; `coursework up` starts one"))
    rows = control.health(state)
    healthy = all(r["healthy"] for r in rows)
    if as_json:
        out.print_json(json.dumps({"healthy": healthy, "prefect_api_url": state.prefect_api_url,
                                   "mlflow_tracking_uri": state.mlflow_tracking_uri, "work_pool": state.work_pool,
                                   "database": state.database, "services": rows}))
    else:
        table = Table(title=f"coursework stack (database {escape(state.database)})")
        for column in ("service", "url", "pid", "health"):
            table.add_column(column, overflow="fold")  # a URL or a name is never cut short
        for r in rows:
            mark = "[green]healthy[/]" if r["healthy"] else "[red]down[/]"
            table.add_row(r["name"], r["url"] or "-", str(r["pid"]), f"{mark} {escape(r['detail'])}")
        out.print(table)
    if not healthy:
        _fail(lib.StackDown("a service of the stack is down; `coursework down` clears it, then `coursework up`"))


@app.command()
def down() -> None:
    """Stop every process of the stack (SIGTERM, then SIGKILL), check none is left, remove its state file."""
    root = ROOT.resolve()
    state, survivors = control.teardown(root)
    if state is None:
        out.print("no stack is recorded here; nothing to stop")
        return
    if survivors:
        _fail(lib.StackDown(f"processes {survivors} of the stack survived SIGKILL; the state file is kept"))
    lib.record_database(root, None)
    out.print(f"stack stopped: {', '.join(s.name for s in state.services)}")
