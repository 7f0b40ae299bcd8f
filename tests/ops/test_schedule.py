"""`coursework schedule`: deployments registered in a real Prefect server's work pool and run by a real process
worker; the model version a deployment's run registers names that flow run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

from coursework import stackfile
from coursework.fsutil import process_start
from tests.conftest import make_root
from tests.servers import prefect_server, stop
from tests.support import PARAMS, console

POOL = "coursework-test-pool"
TASK = "iris_knn"
SCHEDULE = {"timezone": "UTC", "cron": "0 3 * * *", "tasks": {TASK: {"interval": 3600}}}
LATE_HOOK = "COURSEWORK_TEST_LATE_WEBHOOK"  # a run that does not start is alerted by a server-side automation
NOTIFY = {"webhooks": [{"env": LATE_HOOK, "events": ["scheduled_run_late"]}]}
RUN_TIMEOUT_S = 300  # the worker's subprocess imports Prefect, MLflow and scikit-learn on a shared 2-core box


def _listener(url: str) -> int:
    """The pid that listens on the URL's port: the Prefect server process the stack file records."""
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    found = [c.pid for c in psutil.net_connections("tcp") if c.laddr and c.laddr.port == port and c.status == "LISTEN"]
    assert found, f"nothing listens on {port}"
    return found[0]


def _create_pool(api: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api}), get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name=POOL, type="process"), overwrite=True)


def _start_worker(api: str, home: Path, log: Path) -> subprocess.Popen:
    """A real `prefect worker start` in its own process group (its flow-run subprocesses stop with it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update({"PREFECT_API_URL": api, "PREFECT_HOME": str(home), "PREFECT_WORKER_QUERY_SECONDS": "2",
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"})
    with log.open("w") as sink:
        cmd = [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--type", "process"]
        return subprocess.Popen(cmd, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)


@pytest.fixture(scope="module")
def stack(tmp_path_factory, mlflow_store_template):
    """A project root whose stack file names a real Prefect server with a process pool and one worker."""
    base = tmp_path_factory.mktemp("stack")
    with pytest.MonkeyPatch.context() as mp:
        root = make_root(base / "project", mp, mlflow_store_template)
        params = yaml.safe_load((root / "params.yaml").read_text())
        (root / "params.yaml").write_text(yaml.safe_dump({**params, "schedule": SCHEDULE, "notify": NOTIFY},
                                                         sort_keys=False))
        mp.setenv(LATE_HOOK, "http://127.0.0.1:9/late-hook")  # never called here: test_alerts checks the sending
        with prefect_server(base / "prefect") as api:
            pid = _listener(api)
            server = stackfile.Service(name="prefect-server", pid=pid, started=process_start(pid), url=api)
            stackfile.write(root, stackfile.StackState(prefect_api_url=api, mlflow_tracking_uri="", work_pool=POOL,
                                                       database="sqlite", services=(server,)))
            _create_pool(api)
            worker = _start_worker(api, base / "worker", base / "worker.log")
            try:
                yield root, api, base / "worker.log"
            finally:
                stop(worker)


def _wait_final(api: str, run_id, log: Path):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    deadline = time.monotonic() + RUN_TIMEOUT_S
    with temporary_settings({PREFECT_API_URL: api}), get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            run = client.read_flow_run(run_id)
            if run.state and run.state.is_final():
                return run
            time.sleep(2)
    pytest.fail(f"flow run {run_id} not finished after {RUN_TIMEOUT_S} s; worker log:\n{log.read_text()[-4000:]}")


def test_a_deployment_triggered_through_the_api_is_run_by_the_worker_and_registers_a_version(stack):
    from mlflow import MlflowClient
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from coursework import tracking

    root, api, log = stack
    done = console(root, "schedule")
    assert done.returncode == 0, done.stderr
    listed = console(root, "schedule", "--list")
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines() if "coursework-" in line}
    assert "every 3600 s (UTC)" in rows[f"coursework-task/{TASK}"]
    assert "cron 0 3 * * * (UTC)" in rows["coursework-all-tasks/all"] and "03:00:00" in rows["coursework-all-tasks/all"]
    assert "when triggered" in rows["coursework-task/linear_synthetic"]
    from prefect.client.orchestration import get_client

    with temporary_settings({PREFECT_API_URL: api}), get_client(sync_client=True) as client:
        late = [a.name for a in client.read_automations() if a.name.startswith("coursework: scheduled run late")]
    assert late == [f"coursework: scheduled run late -> env {LATE_HOOK}"], late  # `schedule` set up the late-run alert

    with temporary_settings({PREFECT_API_URL: api}):
        triggered = run_deployment(f"coursework-task/{TASK}", timeout=0)
    finished = _wait_final(api, triggered.id, log)
    assert finished.state.is_completed(), f"{finished.state}\n{log.read_text()[-4000:]}"
    assert finished.work_pool_name == POOL  # the worker ran it, not this process

    tracking.configure(root)
    client = MlflowClient()
    (version,) = client.search_model_versions(f"name='{TASK}'")
    assert version.tags["prefect_root_flow_run_id"] == str(triggered.id)
    assert client.get_run(version.run_id).data.tags["prefect_flow_run_id"] == str(triggered.id)


def test_a_bad_cron_is_refused_naming_its_key(stack, tmp_path):
    root, _, _ = stack
    bad = yaml.safe_load(PARAMS.read_text())
    bad["schedule"] = {**SCHEDULE, "cron": "61 3 * * *"}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad, sort_keys=False))
    done = console(root, "schedule", "--params", tmp_path / "bad.yaml")
    assert done.returncode == 2
    assert "schedule.cron: " in done.stderr and "61 3 * * *" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.parametrize("args", [(), ("--list",)], ids=["schedule", "list"])
def test_without_a_stack_both_exit_2_and_say_to_run_up(tmp_path, args):
    (tmp_path / "params.yaml").write_bytes(PARAMS.read_bytes())
    done = console(tmp_path, "schedule", *args)
    assert done.returncode == 2
    assert "coursework up" in done.stderr and "Traceback" not in done.stderr + done.stdout


@pytest.mark.parametrize("block, where", [
    ({"timezone": "Mars/Olympus", "cron": "0 3 * * *"}, "schedule.timezone"),
    ({"cron": "0 3 * * *", "interval": 60}, "schedule: "),
    ({"tasks": {TASK: {}}}, f"schedule.tasks.{TASK}"),
    ({"tasks": {"no_such_task": {"interval": 60}}}, "schedule.tasks.no_such_task: not a task"),
    ({"interval": 0}, "schedule.interval"),
    ({"cron": "0 3 * * *", "timezon": "UTC"}, "schedule.timezon: unknown key"),
], ids=["zone", "both", "task-without-timing", "unknown-task", "zero-interval", "typo"])
def test_the_schedule_block_is_checked_key_by_key(block, where):
    from coursework.params_schema import schema_problems

    problems = schema_problems({**yaml.safe_load(PARAMS.read_text()), "schedule": block})
    assert any(line.startswith(where) for line in problems["schedule"]), problems


def test_the_plan_gives_each_deployment_its_timing_and_the_project_root(tmp_path):
    from flows.schedules import ALL_NAME, plan

    planned = {p.name: p for p in plan({"schedule": SCHEDULE}, [TASK, "wine_dense"], root=tmp_path,
                                       params_path=tmp_path / "params.yaml")}
    assert (planned[ALL_NAME].cron, planned[TASK].interval, planned["wine_dense"].cron) == ("0 3 * * *", 3600, None)
    assert planned[TASK].parameters == {"task": TASK, "params_path": str(tmp_path / "params.yaml"),
                                        "root": str(tmp_path)}
