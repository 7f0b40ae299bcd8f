"""`coursework up`, `status`, `down` through the real CLI: a run attached to the stack, kill -9 and recovery,
the stack on PostgreSQL, and MLflow's basic auth when bound beyond 127.0.0.1."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from coursework import stackfile
from coursework.stackfile import Service, StackState
from tests.support import COURSEWORK, console

UP_TIMEOUT_S = 400  # a first start migrates Prefect's and MLflow's databases on a shared 2-core machine


def _cli(root: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The real CLI with these settings on top of the user's shell (support.console drops every MLFLOW_ one)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    return subprocess.run([str(COURSEWORK), *args], cwd=root, env={**base, **env}, capture_output=True, text=True,
                          timeout=UP_TIMEOUT_S)


def _group(pids: list[int]) -> list[psutil.Process]:
    """Every live process in the process groups (sessions) the stack's services lead."""
    found = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) in pids and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (ProcessLookupError, psutil.Error):
            continue
    return found


def _post(url: str, body: dict) -> list | dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _request(url: str, auth: tuple[str, str] | None) -> urllib.request.Request:
    headers = {"Authorization": "Basic " + base64.b64encode(":".join(auth).encode()).decode()} if auth else {}
    return urllib.request.Request(url, headers=headers)


def _versions(mlflow_url: str, auth: tuple[str, str] | None = None) -> list[str]:
    """The registered model versions the MLflow server answers with, as names."""
    with urllib.request.urlopen(_request(f"{mlflow_url}/api/2.0/mlflow/model-versions/search", auth),
                                timeout=60) as response:
        return [v["name"] for v in json.loads(response.read()).get("model_versions", [])]


def _get(url: str, auth: tuple[str, str] | None = None) -> int:
    try:
        with urllib.request.urlopen(_request(url, auth), timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _up(root: Path, *args: str, env: dict[str, str] | None = None) -> StackState:
    result = _cli(root, "up", *args, env=env or {})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "stack healthy in" in result.stdout
    state = stackfile.read(root)
    assert state is not None
    return state


def _stopped(root: Path, pids: list[int], env: dict[str, str] | None = None) -> None:
    """`coursework down` exits 0, removes the state file and leaves no process of the stack."""
    result = _cli(root, "down", env=env or {})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not stackfile.path(root).exists()
    assert _group(pids) == []


CREDS = {"MLFLOW_TRACKING_USERNAME": "admin", "MLFLOW_TRACKING_PASSWORD": "a-long-test-password"}


def test_host_without_credentials_is_refused(project_root):
    """--host binds beyond 127.0.0.1, so MLflow's basic auth must have an admin: refused (2) without one."""
    refused = _cli(project_root, "up", "--workers", "0", "--host", "127.0.0.2", env={})
    assert refused.returncode == 2 and "MLFLOW_TRACKING_USERNAME" in refused.stderr
    assert "Traceback" not in refused.stdout + refused.stderr
    assert not stackfile.path(project_root).exists() and not (project_root / ".coursework" / "logs").exists()


def _stale_state(root: Path) -> None:
    """A stack file left by a stack whose processes are gone (a pid that has exited)."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    stackfile.write(root, StackState("http://127.0.0.1:9/api", "http://127.0.0.1:9", "coursework", "sqlite",
                                     (Service("prefect-server", dead.pid, time.time() - 60),)))


def test_up_with_auth_attached_run_then_kill_9_and_down(project_root):
    """up clears a stale stack; basic auth rejects strangers; a run attaches (its flow runs are on the stack's
    API, its model in the server's registry); status sees a kill -9; down leaves no process behind."""
    _stale_state(project_root)
    result = _cli(project_root, "up", "--workers", "1", "--host", "127.0.0.2", env=CREDS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cleared a stack that was no longer running" in result.stderr
    state = stackfile.read(project_root)
    assert state is not None
    pids = [s.pid for s in state.services]
    auth = (CREDS["MLFLOW_TRACKING_USERNAME"], CREDS["MLFLOW_TRACKING_PASSWORD"])
    try:
        status = _cli(project_root, "status", "--json", env=CREDS)
        assert status.returncode == 0, status.stdout + status.stderr
        shown = json.loads(status.stdout)
        assert shown["healthy"] and re.fullmatch(r"http://127\.0\.0\.2:\d+/api", shown["prefect_api_url"])
        assert {s["name"] for s in shown["services"]} == {"prefect-server", "mlflow-server", "runner", "worker-1"}
        assert all(psutil.pid_exists(s["pid"]) and s["healthy"] for s in shown["services"])
        search = f"{state.mlflow_tracking_uri}/api/2.0/mlflow/experiments/search?max_results=1"
        assert _get(search) == 401 and _get(search, ("admin", "wrong-password-here")) == 401
        assert _get(search, auth) == 200

        run = _cli(project_root, "run", "iris_knn", env=CREDS)
        assert run.returncode == 0, run.stdout + run.stderr
        flow_runs = _post(f"{state.prefect_api_url}/flow_runs/filter", {})
        assert {"iris_knn", "iris_knn-data", "iris_knn-train"} <= {r["name"] for r in flow_runs}
        assert _versions(state.mlflow_tracking_uri, auth) == ["iris_knn"]  # registered through the server

        for pid in pids:  # the whole stack dies at once; uvicorn children of the servers live on
            os.kill(pid, signal.SIGKILL)
        time.sleep(1)
        status = console(project_root, "status")
        assert status.returncode == 69 and "process is gone" in status.stdout
        assert "Traceback" not in status.stdout + status.stderr
        assert stackfile.read(project_root) is None  # a run now would not attach to the dead stack
    finally:
        _stopped(project_root, pids)
    # the experiment was made by a server bound beyond this machine: its artefacts live behind that server
    cold = console(project_root, "run", "iris_knn")
    assert cold.returncode == 69, cold.stdout + cold.stderr
    assert "keeps its artefacts on a tracking server" in cold.stdout + cold.stderr
    assert "Traceback" not in cold.stdout + cold.stderr


def test_runs_through_the_local_stack_leave_artefacts_a_run_without_it_can_write(project_root):
    """up, run, down, run: on this machine's SQLite stack the experiment keeps its artefacts as files under
    mlruns/artifacts/<task>, so the run after `down` (no server to proxy them) writes there too."""
    state = _up(project_root, "--workers", "0")
    pids = [s.pid for s in state.services]
    try:
        attached = _cli(project_root, "run", "iris_knn", env={})
        assert attached.returncode == 0, attached.stdout + attached.stderr
    finally:
        _stopped(project_root, pids)
    cold = _cli(project_root, "run", "iris_knn", "--json", env={})
    assert cold.returncode == 0, cold.stdout + cold.stderr
    run_id = json.loads(cold.stdout)["tasks"][0]["run_id"]
    assert (project_root / "mlruns" / "artifacts" / "iris_knn" / run_id / "artifacts" / "classification_report.txt").is_file()


def test_stack_on_postgres_registers_through_its_server(project_root, postgres):
    """Prefect's and MLflow's stores on PostgreSQL: an attached run's model version is in that registry."""
    state = _up(project_root, "--workers", "0", "--database", postgres)
    pids = [s.pid for s in state.services]
    try:
        # the state file shows the database redacted (a bare userinfo may be a token); the full URL is kept apart
        assert state.database == postgres.replace("postgres@", "<redacted>@")
        assert (project_root / ".coursework" / "stack-database").read_text().strip() == postgres
        status = console(project_root, "status", "--json")
        assert status.returncode == 0 and json.loads(status.stdout)["healthy"], status.stdout + status.stderr
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api", json.loads(status.stdout)["prefect_api_url"])
        run = console(project_root, "run", "iris_knn")
        assert run.returncode == 0, run.stdout + run.stderr
        assert _versions(state.mlflow_tracking_uri) == ["iris_knn"]
        import sqlalchemy  # the registry the server answered from is the Postgres one

        engine = sqlalchemy.create_engine(postgres, poolclass=sqlalchemy.pool.NullPool)
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("SELECT name FROM model_versions")).scalars().all() == ["iris_knn"]
            assert conn.execute(sqlalchemy.text("SELECT 1 FROM pg_database WHERE datname = 'postgres_prefect'")).scalar()
        engine.dispose()
    finally:
        _stopped(project_root, pids)


def test_champion_lock_through_the_shared_database(postgres, tmp_path, monkeypatch):
    """Runs that track through a server take the champion lock in $COURSEWORK_LOCK_DATABASE: another holder waits."""
    from coursework import locks
    from coursework.fsutil import LockTimeout

    monkeypatch.setenv("COURSEWORK_LOCK_DATABASE", postgres.replace("postgresql+psycopg2://", "postgresql://"))
    with locks.champion_lock("iris_knn", "http://127.0.0.1:9", fallback_dir=tmp_path):
        with pytest.raises(LockTimeout, match="PostgreSQL advisory lock"):
            with locks.champion_lock("iris_knn", "http://127.0.0.1:9", fallback_dir=tmp_path, timeout=0.5):
                pass
    assert not list(tmp_path.iterdir())  # no file lock beside the store was taken instead
    with locks.champion_lock("iris_knn", "http://127.0.0.1:9", fallback_dir=tmp_path, timeout=0.5):
        pass  # released when the first holder left
