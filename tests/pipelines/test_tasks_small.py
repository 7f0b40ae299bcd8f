"""Each task on its real data through the Prefect flow, with small tuning settings: it meets its gate and predicts."""

import os
from pathlib import Path

import pytest
import yaml

from coursework import tracking
from coursework.config import load_params, task_names
from coursework.problems import METRIC_DIRECTION
from pipelines import get_spec
from tests.support import PARAMS

ALL_PARAMS = load_params(PARAMS)
SLOW = {"mnist_classic"}  # minutes on 2 cores even with small settings: run with --run-slow
MAX_TRIALS, MAX_FOLDS, MAX_EPOCHS = 3, 3, 2
# no offline data: tests/deep exercises their loaders on files the tests write
EXTERNAL = {t for t in task_names(ALL_PARAMS) if get_spec(t).external_data}
# Keras tasks cut to MAX_EPOCHS: they must still learn (beat the baseline), but their gates are for full training
CUT = {t for t in task_names(ALL_PARAMS) if any("epochs" in (hp or {}) for hp in ALL_PARAMS[t]["models"].values())}


def gate_met(metrics: dict, gate: dict) -> bool:
    """The gate read straight from params.yaml: every `min` reached and every `max` kept."""
    lows = [metrics[m] >= v for m, v in (gate.get("min") or {}).items()]
    highs = [metrics[m] <= v for m, v in (gate.get("max") or {}).items()]
    return bool(lows + highs) and all(lows + highs)


def small(params: dict) -> dict:
    """The same params with Optuna cut to a few trials and folds; every other number as in params.yaml."""
    out = yaml.safe_load(yaml.safe_dump(params))
    for name in task_names(out):
        tune = (out[name] or {}).get("tune")
        if tune:
            tune["n_trials"] = min(int(tune.get("n_trials", 0)), MAX_TRIALS)
            tune["cv_folds"] = min(int(tune.get("cv_folds", 3)), MAX_FOLDS)
        for hp in (out[name].get("models") or {}).values():
            if hp and "epochs" in hp:
                hp["epochs"] = min(int(hp["epochs"]), MAX_EPOCHS)
    return out


@pytest.fixture(scope="module")
def small_root(prefect_harness, module_root):
    (module_root / "params.yaml").write_text(yaml.safe_dump(small(ALL_PARAMS), sort_keys=False))
    return module_root


@pytest.mark.parametrize(
    "task",
    [pytest.param(t, marks=pytest.mark.slow) if t in SLOW else t for t in task_names(ALL_PARAMS) if t not in EXTERNAL],
)
def test_task_meets_its_gate_with_small_settings(small_root, task):
    from flows.task_flow import task_flow

    summary = task_flow(task, params_path=str(small_root / "params.yaml"), root=str(small_root))
    primary, metrics = summary["primary"], summary["metrics"]
    assert primary == get_spec(task).primary_metric
    better = (lambda a, b: a > b) if METRIC_DIRECTION[primary] else (lambda a, b: a < b)
    assert better(metrics[primary], metrics[f"baseline_{primary}"]), f"{task}: {primary} does not beat the baseline"
    assert summary["version"] == 1
    tracking.configure(small_root)
    if task not in CUT:
        assert summary["passed_gate"], f"{task}: gate missed: {summary['reasons']}"
        assert summary["alias"] == "champion"
        assert tracking.alias_version(task)["version"] == 1
    else:  # two epochs: registered, and promoted exactly when the metrics, read here, meet params.yaml's gate
        meets = gate_met(metrics, ALL_PARAMS[task]["gate"])
        assert summary["passed_gate"] == meets, f"{task}: {metrics} against {ALL_PARAMS[task]['gate']}"
        champion = tracking.alias_version(task)
        assert (champion["version"] if champion else None) == (1 if meets else None)
    candidates = list(ALL_PARAMS[task]["models"])
    if len(candidates) > 1:  # every candidate's test score is logged beside the chosen one
        assert {f"candidate_{c}_{primary}" for c in candidates} <= set(metrics)


# ---------------------------------------------------------------- predict works for every task on its own rows

SUBPROCESS_TASK = "titanic_ensemble"  # the task whose 5-row signature refused its own rows: through the console script


def _champion_of(root, task) -> int:
    """The task's version in this root (trained here if the gate test above did not run), made champion."""
    from flows.task_flow import task_flow

    tracking.configure(root)
    if not tracking.registered_versions(task):
        task_flow(task, params_path=str(root / "params.yaml"), root=str(root))
    version = tracking.registered_versions(task)[-1]
    if (tracking.alias_version(task) or {}).get("version") != version:  # a cut Keras run may be only challenger
        tracking.set_alias(task, "champion", version)
    return version


def _own_rows(root, task, n=12):
    """Rows of the task's validated snapshot with the target (and any label column) dropped."""
    import pandas as pd

    spec = get_spec(task)
    frame = pd.read_csv(root / "data" / task / "raw.csv").sample(n, random_state=0)
    return frame.drop(columns=[c for c in (spec.target, spec.label_column) if c])


@pytest.mark.parametrize(
    "task",
    [pytest.param(t, marks=pytest.mark.slow) if t in SLOW else t for t in task_names(ALL_PARAMS) if t not in EXTERNAL],
)
def test_champion_predicts_on_rows_of_its_own_snapshot(small_root, task, cli, tmp_path):
    import subprocess
    import sys

    import mlflow
    import numpy as np
    import pandas as pd

    _champion_of(small_root, task)
    rows = _own_rows(small_root, task)
    rows.to_csv(tmp_path / "rows.csv", index=False)
    out = tmp_path / "predictions.csv"
    args = ["predict", task, str(tmp_path / "rows.csv"), "--out", str(out)]
    if task == SUBPROCESS_TASK:
        proc = subprocess.run([str(Path(sys.executable).with_name("coursework")), *args], cwd=small_root,
                              capture_output=True, text=True, timeout=300,
                              env={k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")})
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr
    else:
        result = cli(*args)
        assert result.exit_code == 0, result.output
    predicted = pd.read_csv(out)
    assert len(predicted) == len(rows) and predicted["prediction"].notna().all()
    served = mlflow.pyfunc.load_model(f"models:/{task}@champion")  # MLflow's own loader takes the same rows
    direct = np.asarray(served.predict(tracking.cast_to_signature(served, rows.loc[:, list(get_spec(task).input_columns)])))
    assert direct.shape == (len(rows),)  # one label, value or reconstruction error per row
    if np.issubdtype(direct.dtype, np.number):  # the CLI's CSV round-trips numbers to ~15 digits
        assert np.allclose(direct.astype(float), predicted["prediction"].astype(float))
    else:
        assert direct.astype(str).tolist() == predicted["prediction"].astype(str).tolist()
