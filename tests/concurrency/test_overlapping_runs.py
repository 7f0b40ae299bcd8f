"""Overlapping `coursework run` processes, and the champion decision on one footing, through the console script.

Each process costs ~20 s of imports; most share the session's Prefect test server rather than start one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.support import PARAMS

COURSEWORK = Path(sys.executable).with_name("coursework")  # the console script in this venv
TASK = "iris_knn"
WAIT_S = 400


@pytest.fixture
def api_url(prefect_harness) -> str:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


@pytest.fixture
def fresh_root(tmp_path, monkeypatch) -> Path:
    """A project root with params.yaml and no MLflow store at all (no mlruns/)."""
    shutil.copy2(PARAMS, tmp_path / "params.yaml")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    return tmp_path


def _params(root: Path, name: str, **split_or_knn) -> Path:
    """A copy of params.yaml with iris_knn's split or its k changed."""
    data = yaml.safe_load(PARAMS.read_text())
    block = data[TASK]
    for key, value in split_or_knn.items():
        target = block["models"]["knn"] if key == "n_neighbors" else block["split"]
        target[key] = value
    path = root / name
    path.write_text(yaml.safe_dump(data))
    return path


class Run:
    """One real `coursework` process, its output in files so a test can watch it while it runs."""

    def __init__(self, root: Path, name: str, args: list[str], api_url: str | None):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PREFECT_API_URL"))}
        if api_url:
            env["PREFECT_API_URL"] = api_url
        else:  # a temporary server of its own, on a Prefect home where Prefect has never run
            env["PREFECT_HOME"] = str(root / ".prefect")
        self.out, self.err = root / f"{name}.out", root / f"{name}.err"
        with self.out.open("w") as out, self.err.open("w") as err:
            self.proc = subprocess.Popen([str(COURSEWORK), *args], cwd=root, env=env, stdout=out, stderr=err)

    def text(self) -> str:
        return self.out.read_text() + self.err.read_text()

    def wait(self) -> int:
        return self.proc.wait(timeout=WAIT_S)


def _wait_for(runs: list[Run], words: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not all(words in r.text() for r in runs):
        if time.monotonic() > deadline or any(r.proc.poll() is not None for r in runs):
            pytest.fail("runs did not reach '%s':\n%s" % (words, "\n".join(r.text()[-3000:] for r in runs)))
        time.sleep(0.5)


def _registry(root: Path, task: str) -> dict:
    """Versions and aliases of a task's registered model, read the way the CLI reads them."""
    from mlflow import MlflowClient

    from coursework import tracking

    tracking.configure(root)
    model = MlflowClient().get_registered_model(task)
    versions = {int(v.version): v for v in MlflowClient().search_model_versions(f"name = '{task}'")}
    return {"versions": versions, "aliases": {k: int(v) for k, v in model.aliases.items()}}


def _finish(runs: list[Run]) -> list[int]:
    codes = [r.wait() for r in runs]
    for r in runs:
        assert "Traceback" not in r.text(), r.text()[-6000:]
    return codes


def test_same_task_twice_at_once_on_a_fresh_store_promotes_once(fresh_root, api_url):
    """Both start on a store that does not exist yet and meet at the champion decision: one promotes."""
    from coursework import locks, tracking

    uri = tracking.default_tracking_uri(fresh_root)
    # hold the decision until both runs wait for it, so they overlap there on every machine, fast or slow
    with locks.champion_lock(TASK, uri, fallback_dir=fresh_root / "mlruns"):
        runs = [Run(fresh_root, f"run{i}", ["run", TASK], api_url) for i in (1, 2)]
        _wait_for(runs, f"{TASK} champion lock")
    assert _finish(runs) == [0, 0]
    state = _registry(fresh_root, TASK)
    assert sorted(state["versions"]) == [1, 2]
    promoted = [r for r in runs if "promoted to champion" in r.text()]
    assert len(promoted) == 1
    champion = state["aliases"]["champion"]
    assert state["aliases"]["challenger"] == 3 - champion
    assert "does not beat the champion's 0.9833" in state["versions"][3 - champion].tags["decision"]


def test_two_tasks_at_once_on_a_fresh_machine(fresh_root):
    """No MLflow store and no Prefect database yet: each run starts its own temporary server, as a user's does."""
    runs = [Run(fresh_root, task, ["run", task], None) for task in (TASK, "iris_naive_bayes")]
    assert _finish(runs) == [0, 0]
    for task in (TASK, "iris_naive_bayes"):
        state = _registry(fresh_root, task)
        assert sorted(state["versions"]) == [1] and state["aliases"] == {"champion": 1}


def test_a_different_split_is_compared_on_shared_rows_or_not_at_all(fresh_root, api_url):
    """The deck's 60/40 champion; a 5% split (8 rows) is not comparable; a 50% split is re-scored on its rows."""
    first = Run(fresh_root, "deck", ["run", TASK], api_url)
    assert _finish([first]) == [0]

    tiny = Run(fresh_root, "tiny", ["run", TASK, "--params", str(_params(fresh_root, "tiny.yaml", test_size=0.05))],
               api_url)
    assert _finish([tiny]) == [0]  # it met its gate; it is kept as challenger, which is not a failure
    state = _registry(fresh_root, TASK)
    assert state["aliases"] == {"champion": 1, "challenger": 2}
    tags = state["versions"][2].tags
    assert tags["comparison"] == "not comparable"
    assert "only 8 of the new test rows are unseen by the champion (at least 30" in tags["decision"]
    assert "promote it by hand" in tags["decision"]

    half = Run(fresh_root, "half", ["run", TASK, "--params", str(_params(fresh_root, "half.yaml", test_size=0.5))],
               api_url)
    assert _finish([half]) == [1]  # 0.92 on its own split misses the 0.95 gate
    state = _registry(fresh_root, TASK)
    assert state["aliases"] == {"champion": 1, "challenger": 3}
    tags = state["versions"][3].tags
    # the 50% split holds the deck's 60 test rows and 15 the champion trained on: those 15 are left out
    assert tags["comparison"] == "re-scored on 60 test rows the champion never trained on"
    assert (tags["compared_accuracy_new"], tags["compared_accuracy_champion"]) == ("0.95", "0.983333")
    assert tags["footing_split"] != state["versions"][1].tags["footing_split"]
