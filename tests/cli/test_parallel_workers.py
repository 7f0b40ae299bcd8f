"""`coursework run --parallel N` on long-lived workers: a worker killed mid-task costs that task only (exit 70
naming its log), and a parent killed (-9) or interrupted (Ctrl-C) mid-task leaves no worker running."""

import json
import os
import signal
import subprocess
import time

import psutil
import pytest

from tests.conftest import make_root
from tests.support import COURSEWORK

NAMES = ["iris_knn", "linear_synthetic", "diabetes_linear"]  # the cheapest tasks; the first is the one stopped


def _start(root, prefect_url: str) -> subprocess.Popen:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}, "PREFECT_API_URL": prefect_url}
    return subprocess.Popen([str(COURSEWORK), "run", *NAMES, "--parallel", "2", "--json"], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _workers_on(parent: subprocess.Popen, tasks: list[str]) -> tuple[dict[str, psutil.Process], list[psutil.Process]]:
    """The workers whose output is on each task's log (so they are running them now), and every worker seen."""
    deadline, running = time.monotonic() + 300, {}  # the workers' imports first, on a loaded box
    while time.monotonic() < deadline and parent.poll() is None and len(running) < len(tasks):
        workers = [p for p in psutil.Process(parent.pid).children() if "flows.parallel_runs" in " ".join(p.cmdline())]
        for worker in workers:
            try:
                files = [f.path for f in worker.open_files()]
            except psutil.NoSuchProcess:
                continue
            running.update({t: worker for t in tasks if any(path.endswith(f"-{t}.log") for path in files)})
        time.sleep(0.05)
    assert len(running) == len(tasks), f"not every one of {tasks} was ever running: {sorted(running)}"
    return running, workers


@pytest.fixture
def root(tmp_path, mlflow_store_template):
    with pytest.MonkeyPatch.context() as mp:
        return make_root(tmp_path / "root", mp, mlflow_store_template)


@pytest.mark.parametrize("killed", [NAMES[:1], NAMES[:2]], ids=["one worker", "both workers"])
def test_a_worker_killed_mid_task_fails_that_task_only(prefect_harness, root, killed):
    """One killed: the other worker runs on. Both killed: a fresh worker takes a slot for the task still waiting."""
    from prefect.settings import PREFECT_API_URL

    parent = _start(root, PREFECT_API_URL.value())
    victims, _ = _workers_on(parent, killed)
    for victim in victims.values():
        victim.send_signal(signal.SIGKILL)
    stdout, stderr = parent.communicate(timeout=600)
    document = json.loads(stdout)
    summaries = {t["task"]: t for t in document["tasks"]}
    assert [t["task"] for t in document["tasks"]] == NAMES
    for name, victim in victims.items():
        summary = summaries.pop(name)
        assert (summary["exit_code"], summary["error_kind"], summary["status"]) == (70, "ChildDied", "failed")
        assert summary["log"] in summary["error"] and "exit -9" in summary["error"]
        assert f"worker {victim.pid}: task {name}" in open(summary["log"]).read()  # the log of the process killed
        assert f"{name} failed" in stderr
    assert [(t["exit_code"], t["status"]) for t in summaries.values()] == [(0, "passed")] * (len(NAMES) - len(killed))
    assert all(t["metrics"] for t in summaries.values())
    last = open(next((root / ".coursework" / "logs" / "parallel").glob(f"*-{NAMES[-1]}.log"))).readline()
    assert not any(f"worker {victim.pid}:" in last for victim in victims.values())  # a live worker ran it
    assert document["exit_code"] == parent.returncode == 70  # the first non-zero code in the order named
    assert "Traceback" not in stdout + stderr


def test_ctrl_c_on_the_parent_stops_every_worker(prefect_harness, root):
    from prefect.settings import PREFECT_API_URL

    parent = _start(root, PREFECT_API_URL.value())
    _, workers = _workers_on(parent, NAMES[:2])
    parent.send_signal(signal.SIGINT)  # the parent only, not its process group: the parent must stop them
    parent.communicate(timeout=120)
    # the parent waits for each worker it stops: none is left, not even one PR_SET_PDEATHSIG is killing now
    alive = [worker for worker in workers if worker.is_running()]
    psutil.wait_procs(alive, timeout=30)
    assert not alive, f"workers outlived the interrupted parent: {[w.pid for w in alive]}"


def test_killed_parent_leaves_no_worker_running(prefect_harness, root):
    from prefect.settings import PREFECT_API_URL

    parent = _start(root, PREFECT_API_URL.value())
    _, workers = _workers_on(parent, NAMES[:2])  # both busy with a task
    parent.send_signal(signal.SIGKILL)
    parent.communicate(timeout=60)
    gone, alive = psutil.wait_procs(workers, timeout=30)  # PR_SET_PDEATHSIG: the kernel kills them
    for worker in alive:  # clean up before failing
        worker.kill()
    assert not alive, f"workers outlived their killed parent: {[w.pid for w in alive]}"
