"""`coursework predict`: bad input refused by name with exit 2, and a tampered model refused before it loads."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from coursework import tracking
from coursework.errors import ArtifactIntegrityError
from tests.support import iris_frame

TASK = "iris_knn"
COURSEWORK = Path(sys.executable).with_name("coursework")  # the console script in this venv


@pytest.fixture(scope="module")
def trained(prefect_harness, module_root, cli):
    """`coursework run iris_knn` once in this module's root."""
    result = cli("run", TASK)
    assert result.exit_code == 0, result.output
    return module_root


@pytest.fixture
def rows(trained, tmp_path):
    frame = iris_frame().drop(columns="species").head(6)
    return frame, tmp_path / "rows.csv"


def _console(root: Path, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    return subprocess.run([str(COURSEWORK), *map(str, args)], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)


def test_inf_in_a_feature_is_refused_by_column(rows, cli, tmp_path):
    frame, path = rows
    frame.loc[frame.index[2], "petal_length"] = np.inf
    frame.loc[frame.index[4], "sepal_width"] = -np.inf
    frame.to_csv(path, index=False)
    result = cli("predict", TASK, path, "--out", tmp_path / "preds.csv")
    assert result.exit_code == 2, result.output
    assert "['sepal_width', 'petal_length']" in result.output and "inf" in result.output and "2 row(s)" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "preds.csv").exists()


def test_out_that_is_a_folder_is_refused_and_left_alone(rows, cli, tmp_path):
    frame, path = rows
    frame.to_csv(path, index=False)
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "mine.txt").write_text("the user's")
    result = cli("predict", TASK, path, "--out", folder)
    assert result.exit_code == 2, result.output
    assert "is a folder" in result.output and "Traceback" not in result.output
    assert [p.name for p in folder.iterdir()] == ["mine.txt"] and (folder / "mine.txt").read_text() == "the user's"


def test_out_where_nothing_can_be_written_is_refused(rows, cli, tmp_path):
    frame, path = rows
    frame.to_csv(path, index=False)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = cli("predict", TASK, path, "--out", blocker / "preds.csv")  # its "folder" is a file
    assert result.exit_code == 2, result.output
    assert "cannot write there" in result.output and "Traceback" not in result.output
    assert blocker.read_text() == "not a folder"


def test_extra_columns_are_named_in_a_warning_and_passed_through(rows, cli, tmp_path):
    frame, path = rows
    frame.assign(Id=range(len(frame)), note="x").to_csv(path, index=False)
    out = tmp_path / "preds.csv"
    result = cli("predict", TASK, path, "--out", out)
    assert result.exit_code == 0, result.output
    assert "warning" in result.output and "['Id', 'note']" in result.output and "not used" in result.output
    import pandas as pd

    written = pd.read_csv(out)
    assert list(written.columns) == [*frame.columns, "Id", "note", "prediction"] and len(written) == len(frame)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".preds.csv")]  # no temp file left beside it


def test_missing_column_exits_2_without_traceback(rows, trained, tmp_path):
    frame, path = rows
    frame.drop(columns="petal_width").to_csv(path, index=False)
    proc = _console(trained, "predict", TASK, path)
    assert proc.returncode == 2, proc.stderr
    assert "petal_width" in proc.stderr and "Traceback" not in proc.stderr


# ---------------------------------------------------------------- a model whose files changed after registration


class _WritesMarker:
    """A pickle that, when loaded, creates a file: stands in for code an attacker wants run."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "pwned"))


def _model_folder(root: Path) -> Path:
    tracking.configure(root)
    champion = tracking.alias_version(TASK)
    from mlflow import MlflowClient

    source = MlflowClient().get_logged_model(champion["source"].split("/")[-1]).artifact_location
    return Path(source.removeprefix("file://"))


@pytest.fixture
def model_files(trained):
    """The champion's model folder in mlruns/artifacts, put back as it was after the test."""
    folder = _model_folder(trained)
    saved = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    yield folder
    for p in [p for p in folder.rglob("*") if p.is_file() and p not in saved]:
        p.unlink()
    for p, data in saved.items():
        p.write_bytes(data)


def test_a_pickle_swapped_into_the_champion_is_refused_before_it_runs(trained, model_files, rows, tmp_path):
    """The attack from the issue: model.pkl plus an MLmodel that says cloudpickle. predict must not load it."""
    import mlflow

    frame, path = rows
    frame.to_csv(path, index=False)
    marker = tmp_path / "marker"
    (model_files / "model.pkl").write_bytes(pickle.dumps(_WritesMarker(marker)))
    mlmodel = yaml.safe_load((model_files / "MLmodel").read_text())
    mlmodel["flavors"]["sklearn"].update(serialization_format="cloudpickle", pickled_model="model.pkl")
    mlmodel["flavors"]["python_function"]["model_path"] = "model.pkl"
    (model_files / "MLmodel").write_text(yaml.safe_dump(mlmodel))
    proc = _console(trained, "predict", TASK, path, "--out", tmp_path / "preds.csv")
    assert proc.returncode == ArtifactIntegrityError.exit_code == 4, proc.stderr
    assert "MLmodel: sha256" in proc.stderr and "model.pkl: not part of the registered model" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not marker.exists() and not (tmp_path / "preds.csv").exists()
    mlflow.pyfunc.load_model(str(model_files))  # control: loading these files unchecked does run the pickle
    assert marker.read_text() == "pwned"


@pytest.mark.parametrize("change", ["rewrite", "delete"])
def test_a_changed_or_missing_model_file_is_named(trained, model_files, rows, cli, change):
    frame, path = rows
    frame.to_csv(path, index=False)
    target = model_files / "model.skops"
    if change == "rewrite":
        data = target.read_bytes()
        target.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # one bit of the last byte
    else:
        target.unlink()
    result = cli("predict", TASK, path)
    assert result.exit_code == 4, result.output
    assert ("model.skops: sha256" if change == "rewrite" else "model.skops: missing") in result.output


def test_a_version_without_recorded_hashes_is_refused(trained, rows, cli):
    from mlflow import MlflowClient

    frame, path = rows
    frame.to_csv(path, index=False)
    version = str(tracking.alias_version(TASK)["version"])
    record = MlflowClient().get_model_version(TASK, version).tags["artifact_sha256"]
    MlflowClient().delete_model_version_tag(TASK, version, "artifact_sha256")
    try:
        result = cli("predict", TASK, path)
    finally:
        MlflowClient().set_model_version_tag(TASK, version, "artifact_sha256", record)
    assert result.exit_code == 4, result.output
    assert "no `artifact_sha256` tag" in result.output
