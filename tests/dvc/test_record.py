"""Recording a data version in a real DVC repository (in-process): only the validated task's entries change."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from coursework import fsutil, ingest, versioning


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def repo(tmp_path):
    """A DVC repository (no git) with data/t and data/u recorded in data.dvc."""
    from dvc.repo import Repo

    Repo.init(str(tmp_path), no_scm=True).close()
    write(tmp_path, "t", "t1")
    write(tmp_path, "u", "u1")
    versioning.record_data_version(tmp_path, ["t", "u"])
    return tmp_path


def write(root, task: str, text: str) -> None:
    folder = root / "data" / task
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "raw.csv").write_text(text)
    (folder / "manifest.json").write_text(f'{{"task": "{task}"}}\n')


def doc(root) -> dict:
    return yaml.safe_load((root / "data.dvc").read_text())


def dvc_status(root) -> dict:
    """`dvc status data.dvc`: what DVC itself finds when it hashes data/ against the record."""
    done = subprocess.run([sys.executable, "-m", "dvc", "status", "--json", "data.dvc"], cwd=root,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_the_first_record_is_what_dvc_add_would_write(repo):
    recorded = doc(repo)
    assert recorded["outs"][0]["nfiles"] == 4 and recorded["outs"][0]["path"] == "data"
    assert recorded["meta"]["raw_sha256"] == {"t": sha("t1"), "u": sha("u1")}
    assert dvc_status(repo) == {}  # DVC hashes data/ and finds exactly the recorded version


def test_another_tasks_unrecorded_change_is_not_swept_in(repo):
    """A killed run left data/u new but unrecorded; recording t must keep u's recorded entries."""
    before = doc(repo)
    write(repo, "u", "u2-half-finished")
    write(repo, "t", "t2")
    recorded = versioning.record_data_version(repo, ["t"])
    after = doc(repo)
    assert recorded.version == after["outs"][0]["md5"] != before["outs"][0]["md5"] and recorded.warning is None
    assert after["meta"]["raw_sha256"] == {"t": sha("t2"), "u": sha("u1")}
    assert "data.dvc" in dvc_status(repo)  # u's change is still visible as a change, not recorded
    write(repo, "u", "u1")
    assert dvc_status(repo) == {}  # with u put back, data/ is exactly the new version: t2 and the old u


def test_unchanged_data_keeps_the_version_and_the_file(repo):
    before = (repo / "data.dvc").read_bytes()
    assert versioning.record_data_version(repo, ["t"]).version == doc(repo)["outs"][0]["md5"]
    assert (repo / "data.dvc").read_bytes() == before


def fresh_clone(repo) -> None:
    """What a new clone has: data.dvc, but neither the DVC cache nor data/."""
    shutil.rmtree(repo / ".dvc" / "cache")
    shutil.rmtree(repo / "data")


def test_a_fresh_clone_with_new_data_is_unrecorded_and_says_how_to_record_it(repo):
    before = (repo / "data.dvc").read_bytes()
    fresh_clone(repo)
    write(repo, "t", "a student's own file")
    recorded = versioning.record_data_version(repo, ["t"])
    assert recorded.version == versioning.UNRECORDED
    assert "dvc pull" in recorded.warning and "coursework data rebuild --all" in recorded.warning
    assert "data/t" in recorded.warning
    assert (repo / "data.dvc").read_bytes() == before


def test_a_fresh_clone_with_the_recorded_bytes_is_that_version(repo):
    version = doc(repo)["outs"][0]["md5"]
    fresh_clone(repo)
    write(repo, "t", "t1")
    assert versioning.record_data_version(repo, ["t"]) == versioning.Recorded(version)


def test_a_clone_that_rebuilt_data_records_new_data_from_it(repo):
    """After `coursework data rebuild --all` the listing is in data/, not in the cache: the batch is recorded."""
    version = doc(repo)["outs"][0]["md5"]
    shutil.rmtree(repo / ".dvc" / "cache")
    staged = ingest.stage_snapshot(pd.DataFrame({"x": [1, 2]}), task="t", source="s", staging_root=repo / "staging")
    snapshot, recorded = versioning.commit_batch(repo, staged, accept=True)
    assert recorded.warning is None and recorded.version not in (version, versioning.UNRECORDED)
    assert doc(repo)["meta"]["raw_sha256"] == {"t": snapshot.content_hash, "u": sha("u1")}
    assert dvc_status(repo) == {}
    assert not staged.folder.exists() and not list((repo / "data").glob(".t-*"))


def test_a_recorded_task_with_other_bytes_is_refused_before_anything_changes(repo):
    before, raw = (repo / "data.dvc").read_bytes(), (repo / "data" / "t" / "raw.csv").read_bytes()
    staged = ingest.stage_snapshot(pd.DataFrame({"x": [1]}), task="t", source="s", staging_root=repo / "staging")
    with pytest.raises(versioning.DataVersionError) as caught:
        versioning.commit_batch(repo, staged, accept=False)
    assert caught.value.exit_code == 5 and str(caught.value).startswith("t: the source now yields different data")
    assert (repo / "data.dvc").read_bytes() == before and (repo / "data" / "t" / "raw.csv").read_bytes() == raw


HOLD = """
import sys, time
from pathlib import Path
{take}
print("held", flush=True)
time.sleep(60)
"""


@pytest.fixture
def holder(repo):
    """Start a process that holds a lock until the test ends."""
    procs = []

    def start(take: str) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", HOLD.format(take=take)], stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout.readline().strip() == "held"
        return proc

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


def test_a_busy_data_lock_is_waited_for_with_a_bound_and_said(repo, holder, monkeypatch):
    proc = holder(f"from coursework import fsutil\n"
                  f"held = fsutil.bounded_lock(Path({str(repo / versioning.LOCK)!r}), what='data')\n"
                  f"held.__enter__()")
    monkeypatch.setenv("COURSEWORK_LOCK_TIMEOUT", "1")
    said = []
    with pytest.raises(fsutil.LockTimeout) as caught, versioning.data_lock(repo, say=said.append):
        pytest.fail("the lock was busy")
    assert caught.value.exit_code == 75 and f":{proc.pid}" in str(caught.value)
    assert said == [f"waiting up to 1 s for the data lock held by {fsutil.owner_tag().split(':')[0]}:{proc.pid}"]


def test_dvcs_own_repository_lock_is_respected(repo, holder, monkeypatch):
    holder(f"import zc.lockfile\nlock = zc.lockfile.LockFile({str(repo / '.dvc' / 'tmp' / 'lock')!r})")
    monkeypatch.setenv("COURSEWORK_LOCK_TIMEOUT", "1")
    said = []
    with pytest.raises(fsutil.LockTimeout, match="DVC's repository lock .* is still held after 1 s"):
        with versioning.data_lock(repo, say=said.append):
            pytest.fail("DVC's lock was busy")
    assert len(said) == 1 and "a dvc command is running" in said[0]
