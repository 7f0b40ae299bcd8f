"""`coursework run --parallel N` on long-lived workers: a worker killed mid-task costs that task only (exit 70
naming its log), and Ctrl-C on the parent leaves no worker running."""

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


def _worker_on(parent: subprocess.Popen, task: str) -> tuple[psutil.Process, list[psutil.Process]]:
    """The worker whose output is on `task`'s log (so it is running it now), and every worker seen."""
    deadline = time.monotonic() + 300  # the worker's imports first, on a loaded box
    while time.monotonic() < deadline and parent.poll() is None:
        workers = [p for p in psutil.Process(parent.pid).children() if "flows.parallel_runs" in " ".join(p.cmdline())]
        for worker in workers:
            try:
                if any(f.path.endswith(f"-{task}.log") for f in worker.open_files()):
                    return worker, workers
            except psutil.NoSuchProcess:
                pass
        time.sleep(0.05)
    pytest.fail(f"no worker was ever running {task}")


@pytest.fixture
def root(tmp_path, mlflow_store_template):
    with pytest.MonkeyPatch.context() as mp:
        return make_root(tmp_path / "root", mp, mlflow_store_template)


def test_a_worker_killed_mid_task_fails_that_task_only(prefect_harness, root):
    from prefect.settings import PREFECT_API_URL

    parent = _start(root, PREFECT_API_URL.value())
    victim, _ = _worker_on(parent, NAMES[0])
    victim.send_signal(signal.SIGKILL)
    stdout, stderr = parent.communicate(timeout=600)
    document = json.loads(stdout)
    killed, *others = document["tasks"]
    assert [t["task"] for t in document["tasks"]] == NAMES
    assert (killed["exit_code"], killed["error_kind"], killed["status"]) == (70, "ChildDied", "failed")
    assert killed["log"] in killed["error"] and "exit -9" in killed["error"]
    assert f"worker {victim.pid}: task {NAMES[0]}" in open(killed["log"]).read()  # the log of the process killed
    assert [(t["exit_code"], t["status"]) for t in others] == [(0, "passed"), (0, "passed")]
    assert all(t["metrics"] for t in others)
    assert document["exit_code"] == parent.returncode == 70  # the first non-zero code in the order named
    assert f"{NAMES[0]} failed" in stderr and "Traceback" not in stdout + stderr


def test_ctrl_c_on_the_parent_stops_every_worker(prefect_harness, root):
    from prefect.settings import PREFECT_API_URL

    parent = _start(root, PREFECT_API_URL.value())
    _, workers = _worker_on(parent, NAMES[0])
    parent.send_signal(signal.SIGINT)  # the parent only, not its process group: the parent must stop them
    parent.communicate(timeout=120)
    gone, alive = psutil.wait_procs(workers, timeout=30)
    for worker in alive:  # clean up before failing
        worker.kill()
    assert not alive, f"workers outlived the interrupted parent: {[w.pid for w in alive]}"
