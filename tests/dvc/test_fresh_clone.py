"""A new user's first run: a fresh `git clone` (data.dvc, no DVC cache, no data/) and a course CSV of their own.

The real console script runs in the clone; its code is this checkout's (the editable install).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from coursework import fsutil, versioning
from tests.support import REPO, iris_frame

COURSEWORK = str(Path(sys.executable).parent / "coursework")


def kaggle_iris(path: Path) -> Path:
    """Kaggle's Iris.csv: an Id, CamelCase headers in cm, 'Iris-' labels, and UCI's two rows that differ from sklearn's."""
    iris = iris_frame()
    frame = pd.DataFrame({"Id": range(1, len(iris) + 1), "SepalLengthCm": iris["sepal_length"],
                          "SepalWidthCm": iris["sepal_width"], "PetalLengthCm": iris["petal_length"],
                          "PetalWidthCm": iris["petal_width"], "Species": "Iris-" + iris["species"]})
    frame.loc[34, ["SepalLengthCm", "SepalWidthCm", "PetalLengthCm", "PetalWidthCm"]] = [4.9, 3.1, 1.5, 0.1]
    frame.loc[37, ["SepalLengthCm", "SepalWidthCm", "PetalLengthCm", "PetalWidthCm"]] = [4.9, 3.1, 1.5, 0.1]
    frame.to_csv(path, index=False)
    return path


def social_network_ads(path: Path) -> Path:
    """The course's Social_Network_Ads.csv layout: 400 customers, older and richer ones buy more often."""
    rng = np.random.default_rng(0)
    age = rng.integers(18, 61, 400)
    salary = rng.integers(15, 151, 400) * 1000
    chance = 1 / (1 + np.exp(-((age - 42) / 5 + (salary - 90_000) / 25_000)))
    pd.DataFrame({"User ID": rng.integers(15_566_000, 15_816_000, 400), "Gender": rng.choice(["Male", "Female"], 400),
                  "Age": age, "EstimatedSalary": salary,
                  "Purchased": (rng.random(400) < chance).astype(int)}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def clone(tmp_path_factory, env, mlflow_store_template) -> Path:
    """`git clone` of this branch: data.dvc and .dvc/config, but no DVC cache and no data/."""
    root = tmp_path_factory.mktemp("fresh") / "coursework"
    subprocess.run(["git", "clone", "-q", "--local", str(REPO), str(root)], check=True, env=env)
    assert (root / "data.dvc").is_file() and not (root / "data").exists() and not (root / ".dvc" / "cache").exists()
    shutil.copy2(mlflow_store_template, root / "mlruns" / "mlflow.db")  # skips MLflow's schema migration
    return root


def coursework(root: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([COURSEWORK, *args], cwd=root, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("task, make", [("iris_knn", kaggle_iris), ("purchase_logistic", social_network_ads)])
def test_a_students_own_file_runs_on_a_fresh_clone(clone, env, tmp_path, task, make):
    source = make(tmp_path / ("Iris.csv" if task == "iris_knn" else "Social_Network_Ads.csv"))
    recorded = (clone / "data.dvc").read_bytes()
    done = coursework(clone, env, "run", task, "--source", str(source))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert f"data/{task} is new data that data.dvc could not record" in done.stderr
    assert "`dvc pull` (or `coursework data rebuild --all`), then run again" in done.stderr
    assert (clone / "data.dvc").read_bytes() == recorded  # nothing recorded that this clone cannot vouch for
    present = {p.name for p in (clone / "data").iterdir()}
    assert task in present and present <= {"iris_knn", "purchase_logistic"}  # no other task fetched or rebuilt
    from mlflow import MlflowClient

    uri = f"sqlite:///{clone / 'mlruns' / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    version = client.get_model_version_by_alias(task, "champion")
    assert version.tags["data_version"] == versioning.UNRECORDED
    assert client.get_run(version.run_id).data.tags["data_version"] == versioning.UNRECORDED


def test_a_busy_data_lock_is_said_and_bounded(clone, env):
    """`data rebuild` while another run holds the data lock: it says it waits, then gives up with 75."""
    lock = fsutil.bounded_lock(clone / versioning.LOCK, what="data")
    with lock:
        done = coursework(clone, {**env, "COURSEWORK_LOCK_TIMEOUT": "2"}, "data", "rebuild", "linear_synthetic")
    assert done.returncode == 75, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert f"waiting up to 2 s for the data lock held by {fsutil.owner_tag()}" in done.stderr
    assert "linear_synthetic failed: the data lock" in " ".join(done.stderr.split())
    assert not (clone / "data" / "linear_synthetic").exists()


def test_data_validate_writes_the_report_and_names_a_failure(clone, env, tmp_path):
    """The validate stage's command on a recorded snapshot; an edited snapshot is refused as not the version (5)."""
    done = coursework(clone, env, "data", "rebuild", "linear_synthetic")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    report = tmp_path / "validation.json"
    done = coursework(clone, env, "data", "validate", "linear_synthetic", "--report", str(report))
    assert done.returncode == 0, done.stderr[-3000:]
    assert yaml.safe_load(report.read_text())["success"] is True
    raw = clone / "data" / "linear_synthetic" / "raw.csv"
    raw.write_text(raw.read_text() + "1.0,2.0\n")
    done = coursework(clone, env, "data", "validate", "linear_synthetic", "--report", str(report))
    assert done.returncode == 5 and "does not match its manifest" in done.stderr and "Traceback" not in done.stderr


def test_a_malformed_file_is_refused_by_its_expectations_not_its_data_version(clone, env, tmp_path):
    """Validation comes before the data-version check: exit 3 naming the expectation, nothing recorded."""
    bad = tmp_path / "Iris.csv"
    kaggle_iris(bad)
    bad.write_text(bad.read_text().replace("Iris-virginica", "Iris-dog"))
    recorded = (clone / "data.dvc").read_bytes()
    done = coursework(clone, env, "run", "iris_tree", "--source", str(bad))
    assert done.returncode == 3, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "data.dvc" not in done.stderr
    assert "expect_column_values_to_be_in_set column 'species'" in " ".join(done.stderr.split())
    assert (clone / "data.dvc").read_bytes() == recorded and not (clone / "data" / "iris_tree").exists()
