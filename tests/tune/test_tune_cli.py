"""`coursework tune` through the real CLI: a resumed study, two worker processes, child runs, tuned/<task>.yaml,
and the next `coursework run` training with the study's best params."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support import COURSEWORK, console

TASK = "iris_knn"
LOW_K = 5  # the study searches k >= 5 here, so the deck's k=3 can never pass for "the tuned k"


def _snapshot(root: Path) -> None:
    """data/iris_knn/ as the data flow writes it, made in this process (no second CLI start)."""
    from coursework import versioning
    from coursework.config import task_params
    import pipelines as catalog

    versioning.rebuild_snapshot(root, spec=catalog.spec(TASK), params=task_params(catalog.load("params.yaml"), TASK),
                                accept=False, say=lambda *a, **k: None)


@pytest.fixture(scope="module")
def tuned_root(module_root, cli):
    """Two tune calls on one study: 3 trials in this process, then 4 more shared by 2 worker processes."""
    params = yaml.safe_load((module_root / "params.yaml").read_text())
    params[TASK]["tune"]["space"]["n_neighbors"]["low"] = LOW_K
    (module_root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    _snapshot(module_root)
    first = cli("tune", TASK, "--trials", "3")  # in this process: the second call is a process of its own
    assert first.exit_code == 0, first.output[-3000:]
    second = console(module_root, "tune", TASK, "--trials", "4", "--workers", "2")
    assert second.returncode == 0, second.stderr[-3000:]
    return module_root, first, second


def _study(root: Path):
    from coursework import study, tuned

    name = tuned.read_tuned(root, TASK)["study"]
    return study.load_study(study.open_storage(study.DEFAULT_STORAGE, root), name)


def _parents(root: Path) -> list:
    from mlflow import MlflowClient

    from coursework import tracking

    tracking.configure(root)
    client = MlflowClient()
    experiment = client.get_experiment_by_name(TASK).experiment_id
    default = "tags.`optuna.storage` = 'journal:mlruns/optuna.journal'"  # not the PostgreSQL test's call
    runs = client.search_runs([experiment], filter_string=f"tags.kind = 'tune' and {default}")
    return sorted(runs, key=lambda r: r.info.start_time)


def test_a_second_call_adds_its_trials_to_the_same_study(tuned_root):
    root, first, second = tuned_root
    study = _study(root)
    assert [t.number for t in study.trials] == list(range(7))
    assert all(t.state.is_finished() for t in study.trials)
    assert study.study_name in first.output and study.study_name in second.stdout
    assert "7 (4)" in second.stdout  # the table: 7 trials in the study, 4 of them from this call


def test_two_worker_processes_share_one_study_without_lost_or_duplicate_trials(tuned_root):
    from coursework import tracking_tune

    root, _, _ = tuned_root
    children = tracking_tune.child_runs(_parents(root)[1].info.run_id)
    numbers = sorted(int(c["tags"]["optuna.trial"]) for c in children)
    assert numbers == [3, 4, 5, 6]  # exactly the 4 asked for: none lost, none twice
    assert {c["tags"]["worker"] for c in children} == {"0", "1"}
    assert len({c["tags"]["pid"] for c in children}) == 2  # two real processes ran them


def test_every_trial_is_a_child_run_of_its_call(tuned_root):
    from mlflow import MlflowClient

    from coursework import tracking_tune

    root, _, _ = tuned_root
    study = _study(root)
    parents = _parents(root)
    assert len(parents) == 2
    children = [c for p in parents for c in tracking_tune.child_runs(p.info.run_id)]
    assert len(children) == len(study.trials)
    by_number = {t.number: t for t in study.trials}
    client = MlflowClient()
    for child in children:
        trial = by_number[int(child["tags"]["optuna.trial"])]
        assert child["tags"]["state"] == trial.state.name.lower()
        assert child["params"] == {k: str(v) for k, v in trial.params.items()}
        steps = [m.step for m in client.get_metric_history(child["run_id"], "intermediate_value")]
        assert sorted(steps) == sorted(trial.intermediate_values)
    best = parents[-1]
    assert best.data.tags["optuna.study"] == study.study_name
    assert best.data.metrics["best_value"] == pytest.approx(study.best_value)
    files = {f.path for f in client.list_artifacts(best.info.run_id, "tuning")}
    assert {"tuning/optimization_history.png", "tuning/param_importances.png", "tuning/trials.csv"} <= files


def test_the_tuned_file_names_its_study_and_holds_the_best_params(tuned_root):
    from coursework import tuned

    root, _, _ = tuned_root
    study = _study(root)
    text = tuned.path_of(root, TASK).read_text()
    assert text.startswith(tuned.WRITTEN)
    record = tuned.read_tuned(root, TASK)
    assert record["params"] == study.best_params and record["trials"] == 7
    assert record["model"] == "knn" and record["data_hash"][:12] in study.study_name
    assert sorted(p.name for p in (root / "tuned").iterdir()) == [f"{TASK}.yaml"]  # no temp file left beside it


def test_the_next_run_trains_with_the_studys_best_params(tuned_root, prefect_harness):
    from mlflow import MlflowClient
    from prefect.settings import PREFECT_API_URL

    root, _, _ = tuned_root
    best = _study(root).best_params
    proc = console(root, "run", TASK, api_url=PREFECT_API_URL.value())
    assert proc.returncode in (0, 1), proc.stderr[-3000:]  # a tuned k may miss the gate; it still trains with it
    run = [r for r in MlflowClient().search_runs([_parents(root)[0].info.experiment_id], order_by=["start_time DESC"])
           if r.data.tags.get("kind") != "tune-trial" and "hp.n_neighbors" in r.data.params][0]
    assert int(run.data.params["hp.n_neighbors"]) == best["n_neighbors"] >= LOW_K
    assert run.data.params["hp.weights"] == best["weights"]
    assert "was tuned on data" not in proc.stderr and "tuned_on_other_data" not in run.data.tags  # same data


def test_a_tuned_file_from_other_data_is_used_with_a_warning(tuned_root, prefect_harness):
    from mlflow import MlflowClient
    from prefect.settings import PREFECT_API_URL

    from coursework import tuned

    root, _, _ = tuned_root
    path = tuned.path_of(root, TASK)
    kept = path.read_text()
    record = tuned.read_tuned(root, TASK)
    path.write_text(kept.replace(record["data_hash"], "f" * 64))  # as if tuned before the data changed
    try:
        proc = console(root, "run", TASK, api_url=PREFECT_API_URL.value())
    finally:
        path.write_text(kept)
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert f"tuned/{TASK}.yaml was tuned on data sha256 ffffffffffff, but this run trains on " in proc.stderr
    run = MlflowClient().search_runs([_parents(root)[0].info.experiment_id], order_by=["start_time DESC"],
                                     filter_string="tags.tuned_on_other_data = 'true'")
    assert len(run) == 1 and int(run[0].data.params["hp.n_neighbors"]) == record["params"]["n_neighbors"]


def test_postgres_storage_holds_the_study(tuned_root, postgres, cli):
    import optuna

    root, _, _ = tuned_root
    result = cli("tune", TASK, "--trials", "2", "--storage", postgres)
    assert result.exit_code == 0, result.output[-3000:]
    summaries = optuna.get_all_study_summaries(optuna.storages.RDBStorage(postgres))
    assert [s.n_trials for s in summaries] == [2]


def test_tune_ui_serves_the_dashboard_on_localhost(tuned_root):
    from tests.servers import free_port, stop, wait_healthy

    root, _, _ = tuned_root
    port, log = free_port(), root / "tune-ui.log"
    with log.open("w") as sink:
        proc = subprocess.Popen([str(COURSEWORK), "tune-ui", TASK, "--port", str(port)], cwd=root,
                                stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/api/studies", proc, log, timeout=120)
    finally:
        stop(proc)
    assert proc.poll() is not None


@pytest.mark.parametrize("args, says", [
    (["--trials", "0"], "--trials"),
    (["--workers", "0"], "--workers"),
])
def test_bad_options_exit_2_without_a_traceback(tuned_root, args, says):
    root, _, _ = tuned_root
    proc = console(root, "tune", TASK, *args)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert says in proc.stderr and "Traceback" not in proc.stderr + proc.stdout


def test_a_bad_tune_block_exits_2_naming_its_key(tuned_root, cli):
    root, _, _ = tuned_root
    params = yaml.safe_load((root / "params.yaml").read_text())
    params[TASK]["tune"]["pruner"] = {"type": "hyperband", "reduction_factor": 1}
    (root / "bad.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    result = cli("tune", TASK, "--trials", "1", "--params", root / "bad.yaml")
    assert result.exit_code == 2, result.output
    assert f"{TASK}.tune.pruner.reduction_factor" in result.output and "Traceback" not in result.output


def test_a_storage_that_is_neither_journal_nor_a_database_exits_2(tuned_root, cli):
    result = cli("tune", TASK, "--trials", "1", "--storage", "ftp://me:secret@example.org/x")
    assert result.exit_code == 2 and "--storage ftp://me:<redacted>@example.org/x" in result.output
    assert "secret" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("args, says", [
    ([TASK], "pass --trials N or --timeout S"),  # iris_knn's block keeps n_trials 0: run keeps the deck's k
    (["iris_knm", "--trials", "1"], "unknown task 'iris_knm'"),
    (["linear_synthetic", "--trials", "1"], "nothing to tune"),
])
def test_nothing_to_run_is_refused_with_exit_2(tuned_root, cli, args, says):
    result = cli("tune", *args)
    assert result.exit_code == 2 and says in result.output and "Traceback" not in result.output
