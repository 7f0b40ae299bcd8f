"""Each exit code means one thing, asserted exactly on the real console script; user errors print no traceback.

0 passed, 1 a gate missed, 2 bad input/config, 3 validation failed, 70 an internal error (its traceback in a log
file, one line on the console). Every case is a real `coursework` process (~15-25 s of imports each).
"""

import shutil

import pytest
import yaml

from tests.support import PARAMS, console, iris_frame, registry_state

TASK = "iris_knn"


@pytest.fixture(scope="module")
def root(prefect_harness, module_root):
    return module_root


@pytest.fixture(scope="module")
def api_url(prefect_harness):
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


def _params(root, name, edit) -> str:
    params = yaml.safe_load(PARAMS.read_text())
    edit(params)
    (root / name).write_text(yaml.safe_dump(params, sort_keys=False))
    return name


def _user_error(proc, code: int, *words: str) -> str:
    text = proc.stdout + proc.stderr
    assert proc.returncode == code, text
    assert "Traceback" not in text, text
    for word in words:
        assert word in text, text
    return text


def _untouched(root) -> None:
    """Nothing ingested, staged, registered or recorded."""
    assert not (root / "data").exists()
    assert not (root / ".coursework" / "staging").exists()
    assert registry_state(TASK, root) == {"versions": [], "champion": None, "raw": None}


def test_2_unknown_task(root):
    proc = console(root, "run", "iris_knm")
    _user_error(proc, 2, "unknown task 'iris_knm'", TASK)
    _untouched(root)


def test_2_bad_params_before_anything_is_read(root):
    """Before: a `test_sise` typo was ignored, the run split 30 rows and took the champion alias."""
    def edit(p):
        p[TASK]["split"]["test_sise"] = 0.1
        p[TASK]["models"]["knn"]["n_neighbors"] = "three"
        p[TASK]["gate"]["mni"] = {"accuracy": 0.5}

    proc = console(root, "run", TASK, "--params", _params(root, "bad.yaml", edit))
    _user_error(proc, 2, "bad.yaml is not valid", "iris_knn.split.test_sise: unknown key", "iris_knn.gate.mni: unknown key",
                "iris_knn.models.knn.n_neighbors: The 'n_neighbors' parameter of KNeighborsClassifier must be an int")
    _untouched(root)


def test_2_unreadable_file(root, api_url):
    """A file cut mid-row: before, the short row was padded with NaN and the batch was validated."""
    text = iris_frame().to_csv(index=False)
    (root / "cut.csv").write_text(text[: text.rindex(",")])
    proc = console(root, "run", TASK, "--source", "cut.csv", api_url=api_url)
    _user_error(proc, 2, "cut.csv: line 151 is cut short (4 of 5 fields, no final newline)")
    _untouched(root)


def test_1_gate_missed(root, api_url):
    name = _params(root, "strict.yaml", lambda p: p[TASK]["gate"].update({"min": {"accuracy": 0.999}}))
    proc = console(root, "run", TASK, "--params", name, api_url=api_url)
    _user_error(proc, 1, "gate missed", "challenger")
    state = registry_state(TASK, root)
    assert state["versions"] == [1] and state["champion"] is None


def test_70_internal_error_logs_the_traceback(tmp_path, api_url):
    """An MLflow store that is not a database: one console line naming the log, the traceback in the log."""
    shutil.copy2(PARAMS, tmp_path / "params.yaml")
    (tmp_path / "mlruns").mkdir()
    (tmp_path / "mlruns" / "mlflow.db").write_bytes(b"this is not an SQLite file\n" * 100)
    proc = console(tmp_path, "run", TASK, api_url=api_url)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 70, text
    assert "Traceback" not in text, text  # neither ours nor Prefect's console copy
    line = next(ln for ln in proc.stderr.splitlines() if ln.startswith("internal error:"))
    logs = list((tmp_path / ".coursework" / "logs").glob("error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in line
    log = logs[0].read_text()
    assert "Traceback (most recent call last)" in log and "DatabaseError" in log
    assert not list(logs[0].parent.glob(".*.tmp"))  # written atomically
