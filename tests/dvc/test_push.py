"""A run that records a new data version pushes it to the default DVC remote and logs data.dvc beside its MLflow
run; a push that fails is a warning naming the remote, not a lost run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coursework import datapush, versioning

TASK = "iris_knn"


def dvc(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=root, capture_output=True, text=True, check=True)


@pytest.fixture
def dvc_root(project_root) -> Path:
    """The test's project root as a DVC repository (no git), with no remote yet."""
    from dvc.repo import Repo

    Repo.init(str(project_root), no_scm=True).close()
    return project_root


def _run(root: Path) -> dict:
    from flows.task_flow import task_flow

    return task_flow(TASK, params_path=str(root / "params.yaml"), root=str(root))


def _run_record(root: Path, run_id: str) -> tuple[str, dict]:
    from mlflow import MlflowClient

    from coursework import tracking

    tracking.configure(root)
    client = MlflowClient()
    logged = Path(client.download_artifacts(run_id, versioning.DVC_FILE, str(root / ".coursework"))).read_text()
    return logged, client.get_run(run_id).data.tags


def test_a_new_data_version_is_pushed_to_the_default_remote_and_logged(prefect_harness, dvc_root, tmp_path):
    dvc(dvc_root, "remote", "add", "-d", "store", str(tmp_path / "remote"))
    result = _run(dvc_root)
    logged, tags = _run_record(dvc_root, result["run_id"])
    assert logged == (dvc_root / versioning.DVC_FILE).read_text()  # the version this run recorded
    assert result["data_version"] in logged
    assert tags["data_remote"] == "store" and tags["data_pushed"] == "true"
    cloud = dvc(dvc_root, "status", "--cloud", "--json", versioning.DVC_FILE)
    assert json.loads(cloud.stdout) == {}  # the remote has every file of this version
    assert any((tmp_path / "remote").rglob("*.dir"))


def test_a_failing_push_warns_naming_the_remote_and_the_run_is_kept(prefect_harness, dvc_root, tmp_path):
    (tmp_path / "not-a-folder").write_text("a file where the remote's parent folder should be")
    dvc(dvc_root, "remote", "add", "-d", "broken", str(tmp_path / "not-a-folder" / "remote"))
    result = _run(dvc_root)
    assert result["passed_gate"] and result["version"] == 1  # trained and registered all the same
    logged, tags = _run_record(dvc_root, result["run_id"])
    assert logged == (dvc_root / versioning.DVC_FILE).read_text()
    assert tags["data_remote"] == "broken" and tags["data_pushed"] == "false"
    pushed = datapush.push_data(dvc_root)
    assert not pushed.ok and "DVC remote 'broken'" in pushed.message and "dvc push data.dvc" in pushed.message


def test_without_a_remote_the_push_is_a_one_line_note(dvc_root):
    pushed = datapush.push_data(dvc_root)
    assert pushed.ok and pushed.remote is None
    assert "no default DVC remote" in pushed.message and "\n" not in pushed.message


def test_credentials_in_a_push_error_are_redacted():
    done = subprocess.CompletedProcess([], 1, "", "ERROR: failed to push to https://alice:s3cret@host.example/x\n")
    assert datapush._last_line(done) == "ERROR: failed to push to https://alice:<redacted>@host.example/x"
