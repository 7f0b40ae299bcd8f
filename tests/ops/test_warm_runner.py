"""The warm runner: `coursework run` forked after the imports gives what the same command gives in its own process.

One runner (the real `python -m flows.warm_runner`, as `coursework up` starts it) serves a module's project
root; every command is the real console script. What is checked: the same exit code, output and metrics
as a run in its own process; a user's mistake answered with its exact code and no traceback; refusals
(another environment, changed code) that fall back to running in the command's own process; a client
killed with -9 takes its forked command with it; a runner killed mid-run ends the client with 69.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from coursework import warm

COURSEWORK = Path(sys.executable).with_name("coursework")
READY_WAIT_S = 240  # the runner imports Prefect, MLflow and scikit-learn first: long on a loaded 2-core machine


def _env(**extra: str) -> dict[str, str]:
    """A user's shell: no MLflow or Prefect server named, so runs use the project's store and a temporary API."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PREFECT_API_URL", warm.OFF))}
    return {**env, **extra}


def _console(root: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(COURSEWORK), *args], cwd=root, env=_env(**extra), capture_output=True, text=True,
                          timeout=600)


def _log(root: Path) -> str:
    return (root / warm.LOG).read_text()


def _start_runner(root: Path) -> subprocess.Popen:
    (root / warm.LOG).parent.mkdir(parents=True, exist_ok=True)
    with open(root / warm.LOG, "ab") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "flows.warm_runner"], cwd=root, env=_env(), stdout=sink,
                                stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + READY_WAIT_S
    while not (root / warm.SOCKET).exists() or not warm.ping(root / warm.SOCKET)[0]:
        assert proc.poll() is None, f"the runner exited:\n{_log(root)}"
        assert time.monotonic() < deadline, f"the runner did not listen within {READY_WAIT_S} s:\n{_log(root)}"
        time.sleep(0.5)
    return proc


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def served(module_root):
    proc = _start_runner(module_root)
    yield module_root, proc
    _stop(proc)


def _run_and_fork(root: Path, runner: subprocess.Popen, task: str, stderr=subprocess.DEVNULL):
    """`coursework run TASK` as a client, and the runner's child forked for it once it exists."""
    client = subprocess.Popen([str(COURSEWORK), "run", task], cwd=root, env=_env(), stdout=subprocess.DEVNULL,
                              stderr=stderr, text=True)
    deadline = time.monotonic() + 60
    while not (forked := psutil.Process(runner.pid).children()):
        assert time.monotonic() < deadline and client.poll() is None, _log(root)
        time.sleep(0.1)
    return client, forked


def _forked(root: Path) -> int:
    return _log(root).count(": run ")


def test_a_run_forked_by_the_runner_matches_one_in_its_own_process(served):
    root, _ = served
    here = _console(root, "run", "iris_knn", "--json", COURSEWORK_NO_RUNNER="1")
    assert here.returncode == 0, here.stderr
    before = _forked(root)
    forked = _console(root, "run", "iris_knn", "--json")
    assert forked.returncode == 0, forked.stderr
    assert _forked(root) == before + 1  # it went through the runner, and `COURSEWORK_NO_RUNNER=1` did not
    first, second = json.loads(here.stdout)["tasks"][0], json.loads(forked.stdout)["tasks"][0]
    assert second["metrics"] == first["metrics"]
    assert (second["status"], second["version"]) == ("passed", first["version"] + 1)
    assert "Beginning flow run" in forked.stderr  # Prefect's log reached the client's stderr


def test_only_its_owner_may_connect_to_the_runner(served):
    root, _ = served
    assert (root / warm.SOCKET).stat().st_mode & 0o077 == 0  # no group or other bit: no one else may connect


def test_a_request_that_is_not_a_commands_leaves_the_runner_serving(served):
    root, _ = served
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(root / warm.SOCKET))
        warm.send(sock, {"argv": ["coursework", "run", "iris_knn"]}, [0, 1, 2])  # no folder, environment, code
        assert warm.receive(sock)[0] is None  # closed without forking anything
    assert warm.ping(root / warm.SOCKET)[0]
    assert "sent no valid request: KeyError" in _log(root)


def test_a_users_mistake_through_the_runner_gets_its_exit_code_and_no_traceback(served):
    root, _ = served
    before = _forked(root)
    result = _console(root, "run", "no_such_task")
    assert result.returncode == 2
    assert "no_such_task" in result.stderr and "Traceback" not in result.stderr + result.stdout
    assert _forked(root) == before + 1


def test_another_environment_is_refused_and_the_command_runs_in_its_own_process(served):
    root, _ = served
    before = _forked(root)
    result = _console(root, "run", "no_such_task", COURSEWORK_SOMETHING="1")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert _forked(root) == before
    assert "refused: the environment differs in ['COURSEWORK_SOMETHING']" in _log(root)


def test_a_client_killed_with_minus_9_takes_its_forked_command_with_it(served):
    root, runner = served
    client, forked = _run_and_fork(root, runner, "iris_knn")
    os.kill(client.pid, signal.SIGKILL)
    client.wait(timeout=10)
    _, alive = psutil.wait_procs(forked, timeout=15)
    assert alive == [], f"forked command still running: {alive}"
    assert warm.ping(root / warm.SOCKET)[0]  # the runner serves on


def test_ctrl_c_reaches_the_forked_command_which_stops_as_one_run_here_would(served):
    root, runner = served
    client, forked = _run_and_fork(root, runner, "wine_dense", subprocess.PIPE)
    time.sleep(2)  # inside the run, well before a wine_dense training ends
    client.send_signal(signal.SIGINT)
    _, stderr = client.communicate(timeout=120)
    assert client.returncode == 130 and "Traceback" not in stderr  # as the same command interrupted in its own process
    _, alive = psutil.wait_procs(forked, timeout=15)
    assert alive == []
    assert f"pid {forked[0].pid}: exit 130" in _log(root)


def test_changed_code_is_refused_and_the_runner_starts_again(project_root):
    runner = _start_runner(project_root)
    try:
        (project_root / "pyproject.toml").write_text("# a change the runner did not import\n")
        result = _console(project_root, "run", "no_such_task")
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert _forked(project_root) == 0
        deadline = time.monotonic() + READY_WAIT_S
        while _log(project_root).count("listening on") < 2:  # it exec'd itself and imported again
            assert time.monotonic() < deadline and runner.poll() is None, _log(project_root)
            time.sleep(0.5)
        assert runner.poll() is None and warm.ping(project_root / warm.SOCKET)[0]  # the same process, exec'd
        assert _console(project_root, "run", "no_such_task").returncode == 2
        assert _forked(project_root) == 1  # the new code is the runner's now
    finally:
        _stop(runner)


def test_a_runner_killed_mid_run_ends_the_client_with_69(project_root):
    runner = _start_runner(project_root)
    try:
        client, forked = _run_and_fork(project_root, runner, "iris_knn", subprocess.PIPE)
        os.kill(runner.pid, signal.SIGKILL)
        _, stderr = client.communicate(timeout=30)
        assert client.returncode == warm.EX_UNAVAILABLE
        assert "the stack's runner stopped during the run" in stderr and "Traceback" not in stderr
        _, alive = psutil.wait_procs(forked, timeout=15)
        assert alive == []  # PR_SET_PDEATHSIG: the forked command died with its runner
    finally:
        _stop(runner)
