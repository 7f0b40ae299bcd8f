"""DVC end to end in a temporary git repository with two tiny tasks: data.dvc, dvc repro, a remote, old versions.

The temporary repository holds copies of the project's files (DVC hashes them as dependencies); the
`coursework` command it runs is this checkout's (the editable install), so the code under test is ours.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
TASKS = ["iris_knn", "linear_synthetic"]
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def sh(cwd: Path, *args: str, env: dict, ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    if ok and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def edit_params(root: Path, task: str, *path_and_value) -> None:
    doc = yaml.safe_load((root / "params.yaml").read_text())
    *keys, last, value = (task, *path_and_value)
    node = doc
    for key in keys:
        node = node.setdefault(key, {})
    node[last] = value
    (root / "params.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))


def make_project(root: Path, env: dict, mlflow_db: Path) -> None:
    """The project's DVC set-up, reduced to TASKS: git init, dvc init, the repo's .dvc/config and .dvcignore."""
    root.mkdir(parents=True)
    shutil.copytree(REPO / "src", root / "src", ignore=IGNORE)
    shutil.copytree(REPO / "flows", root / "flows", ignore=IGNORE)
    (root / "pipelines").mkdir()
    shutil.copy2(REPO / "pipelines" / "__init__.py", root / "pipelines")
    for package in ["_shared", *TASKS]:
        shutil.copytree(REPO / "pipelines" / package, root / "pipelines" / package, ignore=IGNORE)
    (root / "tuned").mkdir()
    for task in TASKS:  # each stage depends on its task's tuned params (a placeholder until `coursework tune`)
        shutil.copy2(REPO / "tuned" / f"{task}.yaml", root / "tuned")
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    reduced = {"offline_tasks": TASKS, **{k: params[k] for k in ["base", *TASKS]}}  # dvc.yaml's foreach reads the list
    (root / "params.yaml").write_text(yaml.safe_dump(reduced, sort_keys=False))
    for name in ("dvc.yaml", ".gitignore", ".dvcignore"):
        shutil.copy2(REPO / name, root / name)
    sh(root, "git", "init", "-q", env=env)
    sh(root, "dvc", "init", "-q", env=env)
    shutil.copy2(REPO / ".dvc" / "config", root / ".dvc" / "config")  # the default remote: ../coursework-dvc-remote
    (root / "mlruns").mkdir()
    shutil.copy2(mlflow_db, root / "mlruns" / "mlflow.db")


@pytest.fixture(scope="module")
def project(tmp_path_factory, env, mlflow_store_template) -> Path:
    """Data ingested and recorded, the pipeline reproduced, both committed."""
    root = tmp_path_factory.mktemp("dvc") / "work"
    make_project(root, env, mlflow_store_template)
    sh(root, "coursework", "data", "rebuild", "--all", env=env)
    sh(root, "git", "add", "-A", env=env)
    sh(root, "git", "commit", "-qm", "data", env=env)
    sh(root, "dvc", "repro", env=env)
    sh(root, "git", "add", "-A", env=env)
    sh(root, "git", "commit", "-qm", "repro", env=env)
    return root


def data_version(root: Path) -> str:
    return yaml.safe_load((root / "data.dvc").read_text())["outs"][0]["md5"]


def test_a_second_repro_runs_nothing(project, env):
    lock = (project / "dvc.lock").read_bytes()
    out = sh(project, "dvc", "repro", env=env).stdout
    assert "Data and pipelines are up to date." in out
    for task in TASKS:
        assert f"Stage 'task@{task}' didn't change, skipping" in out
    assert (project / "dvc.lock").read_bytes() == lock
    assert json.loads(sh(project, "dvc", "status", "--json", env=env).stdout) == {}


def test_metrics_and_plots_per_task(project, env):
    shown = json.loads(sh(project, "dvc", "metrics", "show", "--json", env=env).stdout)[""]["data"]
    assert shown["reports/iris_knn/metrics.json"]["data"]["accuracy"] == pytest.approx(0.9833, abs=1e-4)
    assert shown["reports/linear_synthetic/metrics.json"]["data"]["coef"] == pytest.approx(2, abs=0.2)
    assert (project / "reports" / "iris_knn" / "plots" / "confusion_matrix.png").is_file()
    assert (project / "reports" / "linear_synthetic" / "plots" / "predicted_vs_actual.png").is_file()


def test_repro_runs_are_tracked_with_the_data_version(project):
    from mlflow import MlflowClient

    uri = f"sqlite:///{project / 'mlruns' / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    for task in TASKS:
        version = client.get_model_version(task, "1")
        assert version.tags["data_version"] == data_version(project)
        run = client.get_run(version.run_id)
        assert run.data.tags["dvc_stage"] == f"task@{task}" and run.data.tags["from_snapshot"] == "true"
        meta = yaml.safe_load((project / "data.dvc").read_text())["meta"]
        assert run.data.tags["data_hash"] == meta["raw_sha256"][task]


def test_one_task_param_edit_leaves_the_other_task_cached(project, env):
    before = (project / "params.yaml").read_text()
    try:
        edit_params(project, "iris_knn", "models", "knn", "n_neighbors", 5)
        status = json.loads(sh(project, "dvc", "status", "--json", env=env).stdout)
        assert list(status) == ["task@iris_knn"]
        dry = sh(project, "dvc", "repro", "--dry", env=env).stdout
        assert "Stage 'task@linear_synthetic' didn't change, skipping" in dry
        edit_params(project, "base", "seed", 7)  # a shared block re-runs every task that reads it
        assert sorted(json.loads(sh(project, "dvc", "status", "--json", env=env).stdout)) == [f"task@{t}" for t in TASKS]
    finally:
        (project / "params.yaml").write_text(before)


def test_push_then_pull_in_another_clone_gives_identical_data(project, env):
    sh(project, "dvc", "push", env=env)
    clone = project.parent / "clone"  # beside it, so ../coursework-dvc-remote is the same folder
    sh(project.parent, "git", "clone", "-q", str(project), str(clone), env=env)
    missing = sh(clone, "coursework", "data", "check", env=env, ok=False)
    assert missing.returncode == 5 and all(t in missing.stdout for t in TASKS)
    sh(clone, "dvc", "pull", env=env)
    assert tree(clone / "data") == tree(project / "data")
    assert "data/ matches data.dvc" in sh(clone, "coursework", "data", "check", env=env).stdout
    assert json.loads(sh(clone, "dvc", "status", "--json", env=env).stdout) == {}


def test_an_older_commits_data_comes_back_with_dvc_checkout(project, env):
    old_data, old_version = tree(project / "data"), data_version(project)
    edit_params(project, "linear_synthetic", "source", "seed", 36)
    sh(project, "coursework", "data", "rebuild", "linear_synthetic", "--accept-new-data", env=env)
    assert data_version(project) != old_version and tree(project / "data") != old_data
    sh(project, "git", "commit", "-qam", "new linear_synthetic data", env=env)
    try:
        sh(project, "git", "checkout", "-q", "HEAD~1", "--", "data.dvc", env=env)
        sh(project, "dvc", "checkout", "data.dvc", env=env)
        assert tree(project / "data") == old_data and data_version(project) == old_version
        sh(project, "coursework", "data", "check", env=env)
    finally:
        sh(project, "git", "reset", "-q", "--hard", "HEAD~1", env=env)
        sh(project, "dvc", "checkout", "--force", env=env)


def test_a_source_that_changed_its_bytes_is_named_and_refused(project, env):
    before_dvc, before_data = (project / "data.dvc").read_bytes(), tree(project / "data")
    params = (project / "params.yaml").read_text()
    try:
        edit_params(project, "linear_synthetic", "source", "seed", 36)  # as if a package update changed its data
        done = sh(project, "coursework", "data", "rebuild", "--all", env=env, ok=False)
        assert done.returncode == 5
        assert "linear_synthetic: the source now yields different data than data.dvc records" in done.stderr
        assert "iris_knn: the source" not in done.stderr
        assert (project / "data.dvc").read_bytes() == before_dvc and tree(project / "data") == before_data
        assert any((project / ".coursework" / "rejected" / "linear_synthetic").iterdir())
    finally:
        (project / "params.yaml").write_text(params)


def test_changed_files_in_data_are_named_and_not_trained_on(project, env):
    raw = project / "data" / "iris_knn" / "raw.csv"
    try:
        raw.write_bytes(raw.read_bytes().replace(b"setosa", b"Setosa", 1))
        check = sh(project, "coursework", "data", "check", env=env, ok=False)
        assert check.returncode == 5 and "iris_knn" in check.stdout and "linear_synthetic" not in check.stdout
        run = sh(project, "coursework", "run", "iris_knn", "--from-snapshot", env=env, ok=False)
        assert run.returncode == 5 and "does not match its manifest" in run.stderr
    finally:
        sh(project, "dvc", "checkout", "--force", "data.dvc", env=env)
    sh(project, "coursework", "data", "check", env=env)
