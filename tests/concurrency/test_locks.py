"""The champion lock and per-run checkpoint folders, held by another real process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coursework import locks
from coursework.fsutil import LockTimeout, claimed_dir

HOLD = """
import sys, time
from pathlib import Path
from coursework import locks
from coursework.fsutil import claimed_dir
kind, arg = sys.argv[1], sys.argv[2]
held = claimed_dir(Path(arg)) if kind == "dir" else locks.champion_lock("iris_knn", arg, fallback_dir=Path("."))
with held:
    print("held", flush=True)
    time.sleep(600)
"""


def _holder(kind: str, arg: str, cwd: Path) -> subprocess.Popen:
    """Another process that takes the lock and keeps it until it is killed."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, kind, arg], cwd=cwd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def test_a_live_runs_checkpoint_folder_is_never_shared_and_a_killed_ones_is_resumed(tmp_path):
    preferred = tmp_path / "checkpoints" / "abc123"
    holder = _holder("dir", str(preferred), tmp_path)
    try:
        with claimed_dir(preferred) as mine:
            assert mine == preferred.with_name(f"abc123-{os.getpid()}")
    finally:
        _kill(holder)
    with claimed_dir(preferred) as mine:  # the killed holder's claim died with it: its folder can resume
        assert mine == preferred


def test_champion_lock_wait_is_bounded_and_names_the_holder(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}"
    holder = _holder("lock", uri, tmp_path)
    told: list[str] = []
    try:
        start = time.monotonic()
        with pytest.raises(LockTimeout) as caught:
            with locks.champion_lock("iris_knn", uri, fallback_dir=tmp_path, timeout=1, say=told.append):
                pass
        assert time.monotonic() - start < 10
        assert caught.value.exit_code == 75
        assert f"{socket.gethostname()}:{holder.pid}" in str(caught.value)
        assert told and "iris_knn champion lock" in told[0]
        with locks.champion_lock("iris_tree", uri, fallback_dir=tmp_path, timeout=1):  # per task: others go on
            pass
    finally:
        _kill(holder)
    with locks.champion_lock("iris_knn", uri, fallback_dir=tmp_path, timeout=5):
        pass
    assert (tmp_path / "mlruns" / ".mlflow.db.champion-iris_knn.lock").exists()  # beside the store


@pytest.mark.parametrize("uri, expected", [
    ("sqlite:////srv/mlruns/mlflow.db", Path("/srv/mlruns/.mlflow.db.champion-t.lock")),
    ("http://127.0.0.1:5000", Path("fallback/.tracking.champion-t.lock")),
])
def test_lock_file_sits_beside_the_sqlite_store(uri, expected):
    assert locks.lock_file(uri, "champion-t", Path("fallback")) == expected


def test_advisory_key_is_stable_and_per_name():
    assert locks.advisory_key("champion-iris_knn") == locks.advisory_key("champion-iris_knn")
    assert locks.advisory_key("champion-iris_knn") != locks.advisory_key("champion-iris_tree")
    assert -2**63 <= locks.advisory_key("x") < 2**63
    assert locks.is_postgres("postgresql+psycopg2://u@h/db") and not locks.is_postgres("sqlite:///x.db")


def test_champion_lock_is_a_postgres_advisory_lock_through_a_shared_database(postgres, tmp_path):
    holder = _holder("lock", postgres, tmp_path)
    try:
        with pytest.raises(LockTimeout, match="advisory lock"):
            with locks.champion_lock("iris_knn", postgres, fallback_dir=tmp_path, timeout=1):
                pass
    finally:
        _kill(holder)  # the server drops a dead connection's advisory locks
    with locks.champion_lock("iris_knn", postgres, fallback_dir=tmp_path, timeout=20):
        pass
    assert not list(tmp_path.glob(".*.lock"))  # no file lock was used
