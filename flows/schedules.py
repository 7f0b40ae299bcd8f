"""Scheduled runs: the project's flows as deployments in the stack's process work pool (`coursework schedule`).

One deployment runs every task (the all-tasks flow, `coursework-all-tasks/all`), one per task runs that
task (`coursework-task/<task>`); their cron or interval comes from params.yaml's `schedule:` block. The
code is this checkout, pulled by a worker as a local folder (no image, no network); each run gets the
project root and the params file as parameters.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping
from zoneinfo import ZoneInfo

from coursework.errors import CourseworkError

REPO = Path(__file__).resolve().parents[1]  # the checkout whose code the workers run
TASK_ENTRY = "flows/task_flow.py:task_flow"
ALL_ENTRY = "flows/all_tasks.py:all_tasks_flow"
ALL_NAME = "all"
TAG = "coursework"


@dataclass(frozen=True)
class Planned:
    """One deployment to register: its flow, name, parameters and when it runs."""

    entrypoint: str
    name: str
    parameters: Mapping[str, Any]
    cron: str | None
    interval: int | None
    timezone: str


@dataclass(frozen=True)
class Listed:
    """One registered deployment as `coursework schedule --list` shows it."""

    name: str  # flow/deployment
    when: str
    next_run: datetime | None
    paused: bool


def plan(loaded: Mapping[str, Any], tasks: list[str], *, root: Path, params_path: Path) -> list[Planned]:
    """The all-tasks deployment and one per task, with the cron/interval the `schedule:` block gives each."""
    block = loaded.get("schedule") or {}
    zone = block.get("timezone", "UTC")
    common = {"params_path": str(params_path.resolve()), "root": str(root.resolve())}
    planned = [Planned(ALL_ENTRY, ALL_NAME, common, block.get("cron"), block.get("interval"), zone)]
    for task in tasks:
        when = (block.get("tasks") or {}).get(task) or {}
        planned.append(Planned(TASK_ENTRY, task, {"task": task, **common}, when.get("cron"), when.get("interval"),
                               zone))
    return planned


@contextmanager
def attached(api_url: str) -> Iterator[None]:
    """Prefect pointed at the stack's API for the block; a server that does not answer is exit 2."""
    import httpx
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url}):
        try:
            yield
        except (httpx.TransportError, OSError) as exc:
            raise CourseworkError(f"the stack's Prefect API at {api_url} does not answer ({type(exc).__name__}); "
                                  "check `coursework status`, or run `coursework up`") from None


def _schedules(item: Planned) -> list:
    from prefect.schedules import Cron, Interval

    if item.cron:
        return [Cron(item.cron, timezone=item.timezone)]
    if item.interval:
        return [Interval(timedelta(seconds=item.interval), timezone=item.timezone)]
    return []  # registered without a schedule: runs only when triggered


def register(planned: list[Planned], *, work_pool: str) -> list[str]:
    """Create or update every planned deployment in `work_pool`; their flow/deployment names."""
    from prefect import Flow
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(work_pool)
        except ObjectNotFound:
            raise CourseworkError(f"work pool {work_pool!r} does not exist on the stack's Prefect server; "
                                  "`coursework up` creates it") from None
    flows = {entry: Flow.from_source(source=str(REPO), entrypoint=entry) for entry in {p.entrypoint for p in planned}}
    names = []
    for item in planned:
        flow = flows[item.entrypoint]
        deployment = flow.to_deployment(name=item.name, parameters=dict(item.parameters), schedules=_schedules(item),
                                        tags=[TAG], work_pool_name=work_pool)
        deployment.apply(work_pool_name=work_pool)
        names.append(f"{flow.name}/{item.name}")
    return names


def _describe(schedule: Any) -> str:
    zone = getattr(schedule, "timezone", None) or "UTC"
    if getattr(schedule, "cron", None):
        return f"cron {schedule.cron} ({zone})"
    if getattr(schedule, "interval", None):
        return f"every {int(schedule.interval.total_seconds())} s ({zone})"
    return "custom"


def _next_by_rule(schedule: Any, now: datetime) -> datetime | None:
    """The next time a schedule fires, from its rule (before Prefect's scheduler has made the run)."""
    from cronsim import CronSim

    zone = ZoneInfo(getattr(schedule, "timezone", None) or "UTC")
    if getattr(schedule, "cron", None):
        return next(CronSim(schedule.cron, now.astimezone(zone))).astimezone(timezone.utc)
    if getattr(schedule, "interval", None):
        anchor = datetime.fromtimestamp(schedule.anchor_date.timestamp(), timezone.utc)  # Prefect's may be pendulum's
        step = schedule.interval.total_seconds()
        return anchor + timedelta(seconds=step * (max(0, (now - anchor).total_seconds() // step) + 1))
    return None


def _next_scheduled(client: Any, deployment_id: Any) -> datetime | None:
    from prefect.client.schemas.filters import DeploymentFilter, FlowRunFilter
    from prefect.client.schemas.sorting import FlowRunSort

    runs = client.read_flow_runs(
        deployment_filter=DeploymentFilter(id={"any_": [deployment_id]}),
        flow_run_filter=FlowRunFilter(state={"type": {"any_": ["SCHEDULED"]}}),
        sort=FlowRunSort.EXPECTED_START_TIME_ASC, limit=1)
    return runs[0].expected_start_time if runs else None


def listing(work_pool: str) -> list[Listed]:
    """The deployments in `work_pool` with their schedule and next run (Prefect's scheduled run, else the rule's)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import WorkPoolFilter

    now, rows = datetime.now(timezone.utc), []
    with get_client(sync_client=True) as client:
        flows = {f.id: f.name for f in client.read_flows()}
        for dep in client.read_deployments(work_pool_filter=WorkPoolFilter(name={"any_": [work_pool]})):
            active = [s.schedule for s in dep.schedules if s.active]
            upcoming = [t for t in [_next_scheduled(client, dep.id)] + [_next_by_rule(s, now) for s in active] if t]
            rows.append(Listed(f"{flows.get(dep.flow_id, '?')}/{dep.name}",
                               ", ".join(_describe(s) for s in active) or "when triggered",
                               min(upcoming) if upcoming and not dep.paused else None, bool(dep.paused)))
    return sorted(rows, key=lambda r: r.name)
