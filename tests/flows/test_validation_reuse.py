"""A batch whose bytes and suite match a recorded pass is not validated again (no GX run); changed bytes or a
changed suite are, a failing batch is never recorded, and a reused pass still lets a bad batch be stopped."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from coursework import validate
from coursework.errors import ValidationFailed
from tests.support import iris_frame

SUITE = '''
from pipelines._shared.gx import gxe


def expectations() -> list:
    return [gxe.ExpectColumnToExist(column="{column}")]
'''


@pytest.fixture
def counted(monkeypatch) -> list[str]:
    """Every real GX validation, by task; reused results do not appear."""
    calls: list[str] = []
    real = validate.validate_frame

    def validate_frame(frame, *, task, expectations):
        calls.append(task)
        return real(frame, task=task, expectations=expectations)

    monkeypatch.setattr(validate, "validate_frame", validate_frame)
    return calls


@pytest.fixture
def suite_package(tmp_path, monkeypatch):
    """A suite in a package of its own, so a test can edit its source as a user edits theirs."""
    folder = tmp_path / "suitepkg"
    folder.mkdir()
    (folder / "__init__.py").write_text(SUITE.format(column="sepal_length"))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "suitepkg", raising=False)
    return folder


def test_the_same_bytes_and_suite_reuse_the_recorded_pass(tmp_path, counted):
    from pipelines._shared.iris import iris_expectations

    frame = iris_frame()
    first, reused_first = validate.validate_once(frame, root=tmp_path, task="iris_knn", data_hash="a" * 64,
                                                 expectations=iris_expectations)
    second, reused_second = validate.validate_once(frame, root=tmp_path, task="iris_knn", data_hash="a" * 64,
                                                   expectations=iris_expectations)
    assert (reused_first, reused_second) == (False, True)
    assert counted == ["iris_knn"] and second == first and first["success"] and first["evaluated"] > 0
    validate.validate_once(frame, root=tmp_path, task="iris_knn", data_hash="b" * 64, expectations=iris_expectations)
    assert counted == ["iris_knn", "iris_knn"], "other bytes are validated again"


def test_a_changed_suite_validates_again(tmp_path, suite_package, counted):
    module = importlib.import_module("suitepkg")
    before = validate.suite_identity(module.expectations)
    _, reused = validate.validate_once(iris_frame(), root=tmp_path, task="t", data_hash="c" * 64,
                                       expectations=module.expectations)
    assert not reused and counted == ["t"]
    (suite_package / "__init__.py").write_text(SUITE.format(column="no_such_column"))
    assert validate.suite_identity(module.expectations) != before
    module = importlib.reload(module)
    report, reused = validate.validate_once(iris_frame(), root=tmp_path, task="t", data_hash="c" * 64,
                                            expectations=module.expectations)
    assert not reused and counted == ["t", "t"]
    assert not report["success"] and report["failures"][0]["column"] == "no_such_column"


def test_a_failure_is_never_recorded(tmp_path, counted):
    from pipelines._shared.iris import iris_expectations

    frame = iris_frame()
    frame.loc[3, "species"] = "iris-unknown"
    for _ in range(2):
        report, reused = validate.validate_once(frame, root=tmp_path, task="iris_knn", data_hash="d" * 64,
                                                expectations=iris_expectations)
        assert not reused and not report["success"]
    assert counted == ["iris_knn", "iris_knn"] and not (tmp_path / validate.PASSED_DIR / "iris_knn.json").exists()


def test_the_flow_reuses_a_pass_and_still_stops_a_bad_batch(prefect_harness, project_root, counted, tmp_path,
                                                             caplog, monkeypatch):
    from flows import data_flow as module
    from flows.data_flow import data_flow

    logged: list[tuple] = []  # what the validate step sends to MLflow (task_flow's run is not open here)
    monkeypatch.setattr(module.tracking, "log_dict", lambda data, name: logged.append((name, data)))
    monkeypatch.setattr(module.tracking, "set_tags", lambda tags: logged.append(("tags", tags)))
    params = str(project_root / "params.yaml")
    first = data_flow("iris_knn", params_path=params, root=str(project_root))
    second = data_flow("iris_knn", params_path=params, root=str(project_root))
    assert counted == ["iris_knn"] and second["data_hash"] == first["data_hash"]
    assert "reused: the same bytes passed the same suite before" in caplog.text
    reports = [data for name, data in logged if name == "validation/result.json"]
    assert len(reports) == 2 and reports[1] == reports[0] and reports[0]["success"]
    assert [tags["validation_reused"] for name, tags in logged if name == "tags"] == ["false", "true"]
    bad = iris_frame()
    bad.loc[7, "species"] = "iris-unknown"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValidationFailed):
        data_flow("iris_knn", source=str(tmp_path / "bad.csv"), params_path=params, root=str(project_root))
    assert counted == ["iris_knn", "iris_knn"]
    assert Path(project_root / "data" / "iris_knn" / "raw.csv").is_file()
