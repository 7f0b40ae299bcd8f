"""`coursework run --parallel N`: the same summaries, table and exit code as one task after another, workers
that share the parent's Prefect API, each task in its own log (the worker tests are in test_parallel_workers.py)."""

import json

import pytest

from tests.conftest import make_root
from tests.support import console

# passes (0), misses a gate raised past reach (1), has no offline data (2): the first in run order decides
NAMES = ["iris_knn", "iris_naive_bayes", "malware_dense"]


def _root(tmp_path_factory, template, name):
    """A project root whose iris_naive_bayes gate cannot be met, so one task ends with exit 1."""
    with pytest.MonkeyPatch.context() as mp:
        root = make_root(tmp_path_factory.mktemp(name), mp, template)
    params = root / "params.yaml"
    text = params.read_text()
    block = text.index("iris_naive_bayes:")
    gate = text.index("min: {accuracy: 0.9}", block)
    params.write_text(text[:gate] + "min: {accuracy: 0.999}" + text[gate + len("min: {accuracy: 0.9}"):])
    return root


@pytest.fixture(scope="module")
def both(prefect_harness, tmp_path_factory, mlflow_store_template):
    """The same tasks one after another (the shared run-all path, in this process on the session's API) and
    two at once (the real command, on the parent's own temporary API, which its children share)."""
    from flows.all_tasks import exit_code, run_tasks

    parallel_root = _root(tmp_path_factory, mlflow_store_template, "parallel")
    parallel = console(parallel_root, "run", *NAMES, "--json", "--parallel", "2", timeout=900)  # a loaded box is slow
    sequential_root = _root(tmp_path_factory, mlflow_store_template, "sequential")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(sequential_root)
        summaries = run_tasks(NAMES, params_path=str(sequential_root / "params.yaml"), root=str(sequential_root))
    sequential = json.loads(json.dumps({"exit_code": exit_code(summaries), "tasks": summaries}))
    return sequential, parallel, parallel_root


def _comparable(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in ("run_id", "seconds", "log")}


def test_parallel_gives_the_sequential_summaries_and_exit_code(both):
    seq, parallel, _ = both
    par = json.loads(parallel.stdout)
    assert [s["task"] for s in par["tasks"]] == NAMES  # in the order named, whichever finished first
    assert [_comparable(s) for s in par["tasks"]] == [_comparable(s) for s in seq["tasks"]]
    assert [s["exit_code"] for s in par["tasks"]] == [0, 1, 2]
    assert par["exit_code"] == parallel.returncode == seq["exit_code"] == 1
    assert par["tasks"][0]["metrics"]["accuracy"] == pytest.approx(0.9833, abs=1e-4)  # the deck's figure
    assert "Traceback" not in parallel.stdout + parallel.stderr


def test_parallel_shows_every_task_in_progress_and_table(both):
    _, parallel, root = both
    for i, name in enumerate(NAMES, 1):
        assert f"[{i}/{len(NAMES)}] {name}" in parallel.stderr
    assert f"{len(NAMES)}/{len(NAMES)}" in parallel.stderr
    logs = sorted(p.name for p in (root / ".coursework" / "logs" / "parallel").iterdir())
    assert [name for name in NAMES if any(log.endswith(f"-{name}.log") for log in logs)] == NAMES


def test_a_worker_runs_tasks_one_after_another_each_into_its_own_log(both):
    _, _, root = both
    logs = {name: next((root / ".coursework" / "logs" / "parallel").glob(f"*-{name}.log")) for name in NAMES}
    firsts = {name: log.read_text().splitlines()[0] for name, log in logs.items()}
    workers = {name: first.split(":")[0] for name, first in firsts.items()}
    assert all(first.endswith(f": task {name}") for name, first in firsts.items())
    assert len(set(workers.values())) == 2  # three tasks on two workers: one of them ran two in a row
    for name, log in logs.items():
        text = log.read_text()
        assert all(f"task {other}" not in text for other in NAMES if other != name)  # nothing of another task's
    knn = logs["iris_knn"].read_text()
    assert "Flow run 'iris_knn' - Finished in state Completed()" in knn


def test_parallel_zero_is_refused(cli, project_root):
    result = cli("run", "iris_knn", "--parallel", "0")
    assert result.exit_code == 2
    assert "--parallel must be 1 or more" in result.output
    assert "Traceback" not in result.output
