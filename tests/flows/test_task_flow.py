"""The six-step Prefect flow under Prefect's test harness, on iris_knn: the deck's number, the registry, lineage."""

import json
import uuid

import mlflow
import pytest
from mlflow import MlflowClient

from coursework import tracking
from coursework.config import load_params, task_params
from coursework.errors import ValidationFailed
from pipelines import get_spec
from tests.support import iris_frame, registry_state

TASK = "iris_knn"
LINEAGE_TAGS = ("git_commit", "data_hash", "params_hash", "prefect_flow_run_id")


@pytest.fixture(scope="module")
def two_runs(prefect_harness, module_root):
    """The same iris_knn flow twice in one fresh root: the first becomes champion, the second does not."""
    from flows.task_flow import task_flow

    first = task_flow(TASK, params_path=str(module_root / "params.yaml"), root=str(module_root))
    second = task_flow(TASK, params_path=str(module_root / "params.yaml"), root=str(module_root))
    tracking.configure(module_root)
    return first, second


def test_iris_knn_reproduces_the_deck(two_runs):
    first, _ = two_runs
    assert first["metrics"]["accuracy"] == pytest.approx(0.98333, abs=1e-4)
    logged = MlflowClient().get_run(first["run_id"]).data.metrics
    assert logged["accuracy"] == pytest.approx(0.98333, abs=1e-4)
    assert logged["baseline_accuracy"] < logged["accuracy"]


def test_first_run_becomes_champion(two_runs):
    first, _ = two_runs
    assert (first["version"], first["alias"], first["passed_gate"], first["promoted"]) == (1, "champion", True, True)


def test_identical_second_run_is_a_challenger(two_runs):
    _, second = two_runs
    assert second["version"] == 2
    assert second["alias"] == "challenger" and second["promoted"] is False and second["passed_gate"] is True
    assert any("does not beat the champion" in r for r in second["reasons"])
    assert tracking.registered_versions(TASK) == [1, 2]
    assert tracking.alias_version(TASK)["version"] == 1
    assert tracking.alias_version(TASK, "challenger")["version"] == 2


def test_champion_loads_with_pyfunc_and_predicts_species(two_runs):
    model = mlflow.pyfunc.load_model(f"models:/{TASK}@champion")
    frame = iris_frame()
    inputs = frame.loc[:, list(get_spec(TASK).input_columns)]
    predicted = model.predict(inputs)
    assert len(predicted) == len(frame)
    assert set(predicted) <= {"setosa", "versicolor", "virginica"}
    assert (predicted == frame["species"].to_numpy()).mean() > 0.95


def test_model_signature_is_the_task_inputs(two_runs):
    info = mlflow.models.get_model_info(f"models:/{TASK}@champion")
    assert info.signature.inputs.input_names() == list(get_spec(TASK).input_columns)
    assert info.signature.outputs is not None


@pytest.mark.parametrize("version", [1, 2])
def test_versions_carry_lineage_tags(two_runs, module_root, version):
    tags = MlflowClient().get_model_version(TASK, str(version)).tags
    for key in LINEAGE_TAGS:
        assert tags.get(key), f"version {version} lacks tag {key}"
    manifest = json.loads((module_root / "data" / TASK / "manifest.json").read_text())
    assert tags["data_hash"] == manifest["content_hash"]
    assert tags["params_hash"] == task_params(load_params(module_root / "params.yaml"), TASK).params_hash
    uuid.UUID(tags["prefect_flow_run_id"])


def test_each_version_names_its_own_completed_training_flow_run(two_runs):
    """The version's flow run is the training flow (a subflow of the task's run) that produced it."""
    from prefect import get_client

    ids = [MlflowClient().get_model_version(TASK, str(v)).tags["prefect_flow_run_id"] for v in (1, 2)]
    assert ids[0] != ids[1]
    with get_client(sync_client=True) as client:
        for run_id in ids:
            flow_run = client.read_flow_run(uuid.UUID(run_id))
            assert flow_run.name == f"{TASK}-train"
            assert flow_run.state.is_completed()


def test_git_commit_tag_is_the_code_commit(two_runs):
    """The lineage must name the code that trained the model, wherever the project root is."""
    import subprocess

    from tests.support import REPO

    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    assert MlflowClient().get_model_version(TASK, "1").tags["git_commit"] == head


def test_run_records_validation_and_plots(two_runs):
    first, _ = two_runs
    client = MlflowClient()
    run = client.get_run(first["run_id"])
    assert run.data.tags["validation"] == "passed"
    assert run.data.tags["model_version"] == "1" and run.data.tags["alias"] == "champion"
    assert run.data.params["model"] == "knn"
    artifacts = {a.path for a in client.list_artifacts(first["run_id"])}
    assert {"validation", "plots"} <= artifacts
    result = json.loads(open(client.download_artifacts(first["run_id"], "validation/result.json")).read())
    assert result["success"] is True and result["failures"] == []
    assert [a.path for a in client.list_artifacts(first["run_id"], "plots")] == ["plots/confusion_matrix.png"]


def test_local_store_keeps_artifacts_under_mlruns_per_task(two_runs, module_root):
    first, _ = two_runs
    run = MlflowClient().get_run(first["run_id"])
    expected = (module_root / "mlruns" / "artifacts" / TASK).resolve().as_uri()
    assert run.info.artifact_uri.startswith(expected + "/")


def test_validation_failure_stops_the_flow(two_runs, module_root, tmp_path):
    from flows.task_flow import task_flow

    bad = tmp_path / "bad.csv"
    iris_frame().assign(species="dog").to_csv(bad, index=False)
    before = registry_state(TASK, module_root)
    with pytest.raises(ValidationFailed) as info:
        task_flow(TASK, source=str(bad), params_path=str(module_root / "params.yaml"), root=str(module_root))
    assert "species" in str(info.value) and "expect_column_values_to_be_in_set" in str(info.value)
    assert registry_state(TASK, module_root) == before
    failed = MlflowClient().search_runs([MlflowClient().get_experiment_by_name(TASK).experiment_id],
                                        filter_string="tags.validation = 'failed'")
    assert len(failed) == 1 and failed[0].info.status == "FAILED"


def test_from_snapshot_runs_the_training_flow_only(two_runs, module_root):
    """No ingest, no validation, no promotion: data/<task> is the same folder, trained on as it is."""
    from flows.task_flow import task_flow

    folder = module_root / "data" / TASK
    before = folder.stat().st_ino, (folder / "raw.csv").read_bytes()
    summary = task_flow(TASK, params_path=str(module_root / "params.yaml"), root=str(module_root), from_snapshot=True)
    assert (folder.stat().st_ino, (folder / "raw.csv").read_bytes()) == before
    tags = MlflowClient().get_run(summary["run_id"]).data.tags
    assert tags["from_snapshot"] == "true" and "validation" not in tags
    assert summary["metrics"]["accuracy"] == pytest.approx(0.98333, abs=1e-4) and summary["version"] == 3


def test_training_refuses_a_snapshot_replaced_after_its_data_flow(two_runs, module_root):
    """Another run swapped data/<task> between this run's validation and its training: nothing is trained."""
    from coursework.errors import DataVersionError
    from flows.train_flow import train_flow

    versions = tracking.registered_versions(TASK)
    with pytest.raises(DataVersionError, match="was replaced by another run after this run validated it"):
        train_flow(TASK, params_path=str(module_root / "params.yaml"), root=str(module_root), data_hash="0" * 64)
    assert tracking.registered_versions(TASK) == versions
