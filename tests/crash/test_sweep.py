"""The sweep on what really killed processes left: runs, unfinished versions, folders, a server. Live owners are left alone."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest
from mlflow import MlflowClient

from coursework import fsutil, recovery, tracking
from coursework.errors import IncompleteVersion

TASK = "iris_knn"

# A stand-in for a run killed inside the register step: its MLflow run tagged with its process, a version
# created without the completion mark, then it waits to be killed.
REGISTERING = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from mlflow import MlflowClient
    from coursework import tracking
    root = Path.cwd()
    tracking.configure(root)
    with tracking.task_run("iris_knn", root, run_name="killed", tags={}) as run_id:
        client = MlflowClient()
        try:
            client.create_registered_model("iris_knn")
        except Exception:
            pass
        v = client.create_model_version("iris_knn", f"runs:/{run_id}/model", run_id=run_id, tags={"data_hash": "x"})
        print(run_id, v.version, flush=True)
        time.sleep(600)
""")

# A command that started a server (here `sleep`, with no parent-death signal) and recorded it.
STARTER = textwrap.dedent("""
    import subprocess, time
    from pathlib import Path
    from coursework import recovery
    child = subprocess.Popen(["sleep", "600"])
    recovery.record_child(Path.cwd(), child.pid, "test server")
    print(child.pid, flush=True)
    time.sleep(600)
""")


def _start(root: Path, script: str) -> tuple[subprocess.Popen, list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=root, env=env, stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().split()


def _kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def _dead_token() -> str:
    """The owner token of a process that has exited (its pid is free or another process's)."""
    proc = subprocess.Popen(["sleep", "30"])
    start = fsutil.process_start(proc.pid)
    proc.kill()
    proc.wait()
    return f"{fsutil.host_id()}-p{proc.pid}-t{round(start * 100)}"


def test_a_killed_runs_version_is_incomplete_and_a_live_runs_is_not(project_root):
    killed, (dead_run, dead_version) = _start(project_root, REGISTERING)
    live, (live_run, live_version) = _start(project_root, REGISTERING)
    try:
        _kill(killed)
        tracking.configure(project_root)
        client = MlflowClient()
        other_host = client.create_run(client.get_experiment_by_name(TASK).experiment_id,
                                       tags={"host": "elsewhere", "pid": "1", "process_start": "1.00"}).info.run_id

        swept = recovery.sweep(project_root)

        assert swept.runs == [dead_run] and swept.versions == [(TASK, int(dead_version))]
        dead = client.get_run(dead_run)
        assert dead.info.status == "FAILED" and dead.data.tags["found_dead_by"].startswith(fsutil.owner_tag())
        assert "incomplete" in client.get_model_version(TASK, dead_version).tags
        assert client.get_run(live_run).info.status == "RUNNING"  # a live concurrent run is left alone
        assert "incomplete" not in client.get_model_version(TASK, live_version).tags
        assert client.get_run(other_host).info.status == "RUNNING"  # another host's run: not ours to judge
        with pytest.raises(IncompleteVersion, match=f"version {dead_version}"):
            tracking.set_alias(TASK, "champion", int(dead_version))
        with pytest.raises(IncompleteVersion):  # not yet complete: still registering
            tracking.set_alias(TASK, "champion", int(live_version))
        finished = client.create_run(client.get_experiment_by_name(TASK).experiment_id).info.run_id
        client.set_terminated(finished, "FINISHED")
        legacy = client.create_model_version(TASK, f"runs:/{finished}/model", run_id=finished).version
        tracking.set_alias(TASK, "champion", int(legacy))  # before the mark existed: a finished run's version
        assert client.get_model_version_by_alias(TASK, "champion").version == legacy
    finally:
        _kill(live)


def test_a_server_a_killed_command_recorded_is_stopped(project_root):
    starter, (server_pid,) = _start(project_root, STARTER)
    server = psutil.Process(int(server_pid))
    _kill(starter)
    assert server.is_running() and server.status() != psutil.STATUS_ZOMBIE  # orphaned: nothing else stops it

    swept = recovery.sweep(project_root, runs=False)

    assert swept.servers == [int(server_pid)]
    assert not server.is_running() or server.status() == psutil.STATUS_ZOMBIE
    assert not list((project_root / recovery.WORK_DIR / recovery.CHILDREN).iterdir())


def test_folders_of_dead_owners_go_and_the_rest_stay(tmp_path):
    dead, live, other = _dead_token(), fsutil.owner_token(), "00000000-p1-t100"
    work = tmp_path / recovery.WORK_DIR
    for owner in (dead, live, other):
        (work / "staging" / f"{TASK}.{owner}.abc").mkdir(parents=True)
        (work / "downloads" / f"{TASK}.{owner}.abc").mkdir(parents=True)
    user_file = work / "staging" / "notes.txt"
    user_file.write_text("mine")
    data = tmp_path / "data"
    (data / f".{TASK}-old-{dead}").mkdir(parents=True)  # a swap killed between its renames: data/iris_knn missing
    (data / f".{TASK}-old-{dead}" / "raw.csv").write_text("old")
    (data / f".{TASK}-new-{dead}-xyz").mkdir()
    (data / f".iris_tree-new-{live}-xyz").mkdir()

    swept = recovery.sweep(tmp_path, runs=False)

    for kind in ("staging", "downloads"):
        assert not (work / kind / f"{TASK}.{dead}.abc").exists()
        assert (work / kind / f"{TASK}.{live}.abc").is_dir() and (work / kind / f"{TASK}.{other}.abc").is_dir()
    assert user_file.read_text() == "mine"
    assert (data / TASK / "raw.csv").read_text() == "old" and swept.restored == [data / TASK]
    assert sorted(p.name for p in data.iterdir()) == [f".iris_tree-new-{live}-xyz", TASK]


def test_a_dead_runs_checkpoint_is_kept_only_while_it_can_resume(tmp_path):
    checkpoints = tmp_path / recovery.WORK_DIR / recovery.CHECKPOINTS
    resumable, finished = checkpoints / "aaaa", checkpoints / "bbbb"
    (resumable / "backup").mkdir(parents=True)
    finished.mkdir()
    for folder in (resumable, finished):
        (folder / fsutil.OWNER_FILE).write_text(_dead_token())

    recovery.sweep(tmp_path, runs=False)

    assert resumable.is_dir() and not finished.exists()


def test_a_download_lives_in_a_folder_of_its_run_and_goes_after_reading(tmp_path, monkeypatch):
    from coursework import download, ingest

    body = b"x,y\n1,2\n"
    folders = []
    real_fetch = ingest.fetch_url

    def stream(url, target, limit):  # the network part only: the folder, naming and hashing are the real ones
        target.write_bytes(body)
        return hashlib.sha256(body).hexdigest()

    monkeypatch.setattr(download, "_stream", stream)
    monkeypatch.setattr(ingest, "fetch_url", lambda source, folder, *rest: folders.append(folder) or real_fetch(source, folder, *rest))
    frame, _ = ingest.read_source(f"https://example.org/d.csv#sha256={hashlib.sha256(body).hexdigest()}", default=None,
                                  default_label="", options={}, download_dir=tmp_path / "downloads")
    assert len(frame) == 1
    assert fsutil.owner_token() in folders[0].name  # named by this process, so a sweep can judge it if we die
    assert list((tmp_path / "downloads").iterdir()) == []
