"""flows/schedules.py: the deployments built from params.yaml's `schedule:` block (cron, interval, time zone),
registered in a work pool of the session's Prefect server and read back; the rules' next run; refusals."""

from datetime import datetime, timezone

import pytest
import yaml

from coursework.errors import CourseworkError
from tests.support import PARAMS

POOL = "coursework-flows-test-pool"
BLOCK = {"timezone": "Europe/Berlin", "cron": "0 3 * * *",
         "tasks": {"iris_knn": {"interval": 3600}, "wine_dense": {"cron": "30 6 * * 1"}}}
TASKS = ["iris_knn", "wine_dense", "linear_synthetic"]


def _plan(tmp_path):
    from flows.schedules import plan

    return plan({"schedule": BLOCK}, TASKS, root=tmp_path, params_path=tmp_path / "params.yaml")


@pytest.mark.fast
def test_each_deployment_gets_its_own_timing_in_the_blocks_time_zone(tmp_path):
    from flows.schedules import ALL_NAME, _schedules

    built = {p.name: _schedules(p) for p in _plan(tmp_path)}
    (every,) = built[ALL_NAME]
    assert (every.cron, every.interval, every.timezone) == ("0 3 * * *", None, "Europe/Berlin")
    (hourly,) = built["iris_knn"]
    assert (hourly.cron, hourly.interval.total_seconds(), hourly.timezone) == (None, 3600, "Europe/Berlin")
    assert built["wine_dense"][0].cron == "30 6 * * 1"
    assert built["linear_synthetic"] == []  # no timing of its own: runs only when triggered


@pytest.mark.fast
def test_the_next_run_follows_the_time_zone(tmp_path):
    from flows.schedules import ALL_NAME, _next_by_rule, _schedules

    (every,) = next(_schedules(p) for p in _plan(tmp_path) if p.name == ALL_NAME)
    winter, summer = datetime(2026, 11, 24, 12, tzinfo=timezone.utc), datetime(2026, 7, 1, 12, tzinfo=timezone.utc)
    assert _next_by_rule(every, winter) == datetime(2026, 11, 25, 2, tzinfo=timezone.utc)  # 03:00 CET
    assert _next_by_rule(every, summer) == datetime(2026, 7, 2, 1, tzinfo=timezone.utc)  # 03:00 CEST


@pytest.mark.fast
def test_a_schedule_for_an_unknown_task_is_refused_by_the_params_check(tmp_path):
    """The check `coursework schedule` runs first (catalog.load starts with it), before Prefect is asked."""
    from coursework.config import load_params

    params = yaml.safe_load(PARAMS.read_text())
    params["schedule"] = {"tasks": {"iris_knm": {"interval": 60}}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    with pytest.raises(CourseworkError, match="schedule.tasks.iris_knm") as caught:
        load_params(tmp_path / "params.yaml")
    assert caught.value.exit_code == 2


@pytest.fixture(scope="module")
def pool(prefect_harness):
    """A process work pool on the session's Prefect server."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name=POOL, type="process"), overwrite=True)
    return POOL


def test_registered_deployments_carry_the_schedule_and_the_project_root(pool, tmp_path):
    from prefect.client.orchestration import get_client

    from flows.schedules import listing, register

    names = register(_plan(tmp_path), work_pool=pool)
    assert names == ["coursework-all-tasks/all", *(f"coursework-task/{t}" for t in TASKS)]
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("coursework-task/iris_knn")
    (schedule,) = [s.schedule for s in deployment.schedules]
    assert (schedule.interval.total_seconds(), schedule.timezone) == (3600, "Europe/Berlin")
    assert deployment.parameters == {"task": "iris_knn", "params_path": str(tmp_path / "params.yaml"),
                                     "root": str(tmp_path)}
    assert deployment.work_pool_name == pool and deployment.entrypoint == "flows/task_flow.py:task_flow"
    rows = {row.name: row for row in listing(pool)}
    assert rows["coursework-all-tasks/all"].when == "cron 0 3 * * * (Europe/Berlin)"
    assert rows["coursework-task/linear_synthetic"].when == "when triggered"
    assert rows["coursework-task/linear_synthetic"].next_run is None
    assert rows["coursework-task/wine_dense"].next_run.weekday() == 0  # Mondays


def test_a_pool_that_does_not_exist_is_refused(prefect_harness, tmp_path):
    from flows.schedules import register

    with pytest.raises(CourseworkError, match="work pool 'no-such-pool' does not exist") as caught:
        register(_plan(tmp_path), work_pool="no-such-pool")
    assert caught.value.exit_code == 2


def test_a_server_that_does_not_answer_is_exit_2(tmp_path):
    from flows.schedules import attached, listing
    from tests.servers import free_port

    with pytest.raises(CourseworkError, match="does not answer") as caught:
        with attached(f"http://127.0.0.1:{free_port()}/api"):
            listing(POOL)
    assert caught.value.exit_code == 2
