"""kill -9 of the real `coursework run` at a step boundary: nothing half-done, and the next command cleans up.

Each case starts the console script in one project root, waits for a step's log line, sends SIGKILL as a
user's `kill -9` does, then checks what the dead run left before and after the next command.
"""

from __future__ import annotations

import hashlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from mlflow import MlflowClient

from coursework import fsutil
from tests.support import iris_frame

TASK = "iris_knn"
COURSEWORK = Path(sys.executable).with_name("coursework")
BOUNDARY_WAIT_S = 300  # a loaded 2-core machine takes a while to import and start Prefect's server
GONE_WAIT_S = 10


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PREFECT_API_URL"))}


def _console(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(COURSEWORK), *args], cwd=root, env=_env(), capture_output=True, text=True, timeout=600)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _client(root: Path) -> MlflowClient:
    uri = f"sqlite:///{root / 'mlruns' / 'mlflow.db'}"
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _runs(root: Path) -> dict[str, object]:
    client = _client(root)
    experiment = client.get_experiment_by_name(TASK)
    return {r.info.run_id: r for r in client.search_runs([experiment.experiment_id])} if experiment else {}


def _kill_at(root: Path, marker: str, *args: str) -> tuple[int, list[psutil.Process], str]:
    """Start `coursework run`, SIGKILL it once `marker` is logged; its pid, its child processes, its output."""
    proc = subprocess.Popen([str(COURSEWORK), "run", TASK, *args], cwd=root, env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    seen, deadline = [], time.monotonic() + BOUNDARY_WAIT_S
    while time.monotonic() < deadline:
        try:
            seen.append(lines.get(timeout=1))
        except queue.Empty:
            assert proc.poll() is None, "coursework ended before the boundary:\n" + "".join(seen)
            continue
        if marker in seen[-1]:
            break
    else:
        proc.kill()
        pytest.fail(f"no '{marker}' within {BOUNDARY_WAIT_S} s:\n" + "".join(seen))
    children = psutil.Process(proc.pid).children(recursive=True)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    return proc.pid, children, "".join(seen)


def _gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.fixture(scope="module")
def killable(module_root):
    """A root with a champion and a snapshot, and a reshuffled iris file: a distinct new snapshot."""
    first = _console(module_root, "run", TASK)
    assert first.returncode == 0, first.stderr[-3000:]
    iris_frame().sample(frac=1.0, random_state=7).to_csv(module_root / "shuffled.csv", index=False)
    return module_root, _sha(module_root / "shuffled.csv")


@pytest.mark.parametrize("marker", ["ingest:", "snapshot:", "Created version"])  # staged; promoted and recorded; registering
def test_kill_at_a_step_boundary_leaves_nothing_half_done(killable, marker):
    root, new_sha = killable
    raw = root / "data" / TASK / "raw.csv"
    before, before_sha = set(_runs(root)), _sha(raw)
    pid, children, _ = _kill_at(root, marker, "--source", str(root / "shuffled.csv"))
    token_pid = f"-p{pid}-"

    # the temporary Prefect server dies with the command that started it
    deadline = time.monotonic() + GONE_WAIT_S
    while not all(_gone(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert children and all(_gone(c) for c in children), [c.cmdline() for c in children if not _gone(c)]

    # data/<task> is the old snapshot or the new one, never missing
    assert raw.is_file()
    assert _sha(raw) == (before_sha if marker == "ingest:" else new_sha)

    # the killed run is RUNNING (nobody has looked yet), tagged with its process
    killed = [r for rid, r in _runs(root).items() if rid not in before]
    assert len(killed) == 1 and killed[0].info.status == "RUNNING"
    assert killed[0].data.tags["pid"] == str(pid) and killed[0].data.tags["host"]

    # the next command puts it right
    after = _console(root, "list")
    assert after.returncode == 0, after.stderr[-2000:]
    assert "Traceback" not in after.stderr
    run = _client(root).get_run(killed[0].info.run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags["found_dead"] == "true" and "found_dead_by" in run.data.tags
    assert not [p for p in root.rglob("*") if token_pid in p.name and p.exists()]
    assert raw.is_file()

    # no version is champion that a killed run left incomplete; its own versions are complete or tagged
    client = _client(root)
    champion = client.get_model_version_by_alias(TASK, "champion")
    assert champion.tags.get("registration") == "complete" and "incomplete" not in champion.tags
    for version in client.search_model_versions(f"run_id = '{run.info.run_id}'"):
        assert version.tags.get("registration") == "complete" or "incomplete" in version.tags


def test_the_next_run_after_kills_exits_0(killable):
    root, _ = killable
    done = _console(root, "run", TASK)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert not any(fsutil.folder_owner_dead(p) for p in (root / ".coursework").rglob("*") if p.is_dir())
    assert not list((root / "data").glob(f".{TASK}-*"))
    assert [r for r in _runs(root).values() if r.info.status == "RUNNING"] == []
