"""Bad input through the real CLI: one clear message, a non-zero exit, and nothing registered or overwritten."""

import json

import numpy as np
import pytest

from coursework.errors import SourceError, UnknownTaskError, ValidationFailed
from tests.support import iris_frame, registry_state

TASK = "iris_knn"


@pytest.fixture(scope="module")
def trained(prefect_harness, module_root, cli):
    """iris_knn run once, successfully, in this module's root: a champion and a validated snapshot exist."""
    result = cli("run", TASK)
    assert result.exit_code == 0, result.output
    state = registry_state(TASK, module_root)
    assert state["versions"] == [1] and state["champion"] == 1 and state["raw"]
    return module_root


def _iris_csv(path, frame=None):
    (iris_frame() if frame is None else frame).to_csv(path, index=False)
    return path


def _missing_column(path):
    return _iris_csv(path, iris_frame().drop(columns="petal_width"))


def _wrong_dtype(path):
    frame = iris_frame().astype({"sepal_length": object})
    frame.loc[[3, 70], "sepal_length"] = "five point one"
    return _iris_csv(path, frame)


def _nan_labels(path):
    frame = iris_frame()
    frame.loc[[0, 60, 120], "species"] = np.nan
    return _iris_csv(path, frame)


def _out_of_range(path):
    frame = iris_frame()
    frame.loc[5, "petal_length"] = 140.0  # millimetres in a centimetre column
    frame.loc[9, "petal_length"] = -1.0
    return _iris_csv(path, frame)


def _unknown_label(path):
    frame = iris_frame()
    frame.loc[7, "species"] = "iris-unknown"
    return _iris_csv(path, frame)


def _truncated(path):
    _iris_csv(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 - 7])  # the download stopped mid-row
    return path


# case: (make the file, words every message must hold)
VALIDATION_CASES = {
    "missing column": (_missing_column, ["petal_width", "expect_column_to_exist", "column not found"]),
    "wrong dtype": (_wrong_dtype, ["sepal_length", "expect_column_values_to_be_in_type_list"]),
    "NaN labels": (_nan_labels, ["species", "expect_column_values_to_not_be_null", "3 unexpected value(s), e.g. [nan, nan, nan]"]),
    "out of range": (_out_of_range, ["petal_length", "expect_column_values_to_be_between", "140"]),
    "unknown label": (_unknown_label, ["species", "expect_column_values_to_be_in_set", "iris-unknown"]),
}


def _message_once(output: str, needle: str) -> None:
    assert output.count(needle) == 1, output
    assert "Traceback" not in output


@pytest.mark.parametrize("case", list(VALIDATION_CASES))
def test_batch_failing_validation_is_rejected(trained, cli, case):
    make, words = VALIDATION_CASES[case]
    bad = make(trained / f"{case.replace(' ', '_')}.csv")
    rejected = trained / ".coursework" / "rejected" / TASK
    kept_before = set(rejected.iterdir()) if rejected.exists() else set()
    before = registry_state(TASK, trained)

    result = cli("run", TASK, "--source", bad)

    assert result.exit_code == ValidationFailed.exit_code, result.output
    _message_once(result.output, "data failed validation")
    for word in words:
        assert word in result.output, f"{word!r} missing from:\n{result.output}"
    assert registry_state(TASK, trained) == before  # no new version, same champion, snapshot untouched
    new = set(rejected.iterdir()) - kept_before
    assert len(new) == 1, "the rejected batch is kept aside once"
    kept = new.pop()
    assert (kept / "raw.csv").is_file()
    assert json.loads((kept / "validation.json").read_text())["success"] is False
    assert str(kept) in result.output.replace("\n", "")


def _empty(path):
    path.write_bytes(b"")
    return path


def _header_only(path):
    path.write_text("sepal_length,sepal_width,petal_length,petal_width,species\n")
    return path


def _binary(path):
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    return path


def _not_a_table(path):
    path.write_text('sepal_length,species\n"5.1,setosa\n4.9,setosa\n')  # an unterminated quote
    return path


SOURCE_CASES = {
    "empty file": ("empty.csv", _empty, ["empty"]),
    "header only": ("header.csv", _header_only, ["no data rows"]),
    "binary file": ("picture.csv", _binary, ["binary"]),
    "not a table": ("notes.csv", _not_a_table, ["could not be parsed"]),
    "spreadsheet": ("iris.xlsx", _binary, ["unsupported file type"]),
    "does not exist": ("no_such_file.csv", None, ["does not exist"]),
    # before: the cut row was padded with NaN and the batch went on to validation
    "truncated": ("truncated.csv", _truncated, ["is cut short", "no final newline", "truncated"]),
}


@pytest.mark.parametrize("case", list(SOURCE_CASES))
def test_unreadable_source_is_refused(trained, cli, case):
    name, make, words = SOURCE_CASES[case]
    path = trained / name
    if make:
        make(path)
    before = registry_state(TASK, trained)

    result = cli("run", TASK, "--source", path)

    assert result.exit_code == SourceError.exit_code, result.output
    _message_once(result.output, name)
    for word in words:
        assert word in result.output
    assert registry_state(TASK, trained) == before


def test_unknown_task_is_refused(trained, cli):
    before = registry_state(TASK, trained)
    result = cli("run", "iris_knm")
    assert result.exit_code == UnknownTaskError.exit_code
    _message_once(result.output, "unknown task 'iris_knm'")
    assert TASK in result.output  # names the tasks that do exist
    assert registry_state(TASK, trained) == before


def test_good_source_after_rejections_still_runs(trained, cli):
    """A user's own clean iris.csv with Kaggle headers is accepted; it meets the gate but does not beat v1."""
    frame = iris_frame().rename(columns={"sepal_length": "SepalLengthCm", "species": "Species"})
    path = _iris_csv(trained / "kaggle_iris.csv", frame)
    before = registry_state(TASK, trained)
    result = cli("run", TASK, "--source", path)
    assert result.exit_code == 0, result.output
    after = registry_state(TASK, trained)
    assert after["versions"] == before["versions"] + [max(before["versions"]) + 1]
    assert after["champion"] == before["champion"]
