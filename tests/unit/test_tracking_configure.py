"""tracking.configure: the project's store by default, the user's MLFLOW_TRACKING_URI when they set one."""

import mlflow

from coursework import tracking


def test_each_root_gets_its_own_store_even_after_mlflow_exported_the_first(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    first = tracking.configure(tmp_path / "a")
    second = tracking.configure(tmp_path / "b")  # mlflow now has MLFLOW_TRACKING_URI=first in os.environ
    assert first == tracking.default_tracking_uri(tmp_path / "a")
    assert second == tracking.default_tracking_uri(tmp_path / "b")
    assert mlflow.get_registry_uri() == second
    assert (tmp_path / "b" / "mlruns").is_dir()


def test_a_users_tracking_uri_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5999")
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    assert tracking.configure(tmp_path) == "http://127.0.0.1:5999"
    assert mlflow.get_registry_uri() == "http://127.0.0.1:5999"
    assert not (tmp_path / "mlruns").exists()


def test_model_requirements_carry_no_local_version_label(monkeypatch):
    real = tracking.metadata.version
    numpy_version = real("numpy")
    monkeypatch.setattr(tracking.metadata, "version", lambda name: "2.13.0+cpu" if name == "torch" else real(name))
    assert tracking._pin("torch") == "torch==2.13.0"
    assert tracking._pin("numpy") == f"numpy=={numpy_version}"


def test_the_experiment_carries_the_specs_description_and_follows_its_changes(project_root):
    from mlflow import MlflowClient

    from pipelines import get_spec

    tracking.configure(project_root)
    description = get_spec("iris_knn").description
    first = tracking.ensure_experiment("iris_knn", project_root, description)
    client = MlflowClient()
    assert client.get_experiment(first).tags[tracking.NOTE_TAG] == description  # the MLflow UI's description
    assert tracking.ensure_experiment("iris_knn", project_root, "reworded") == first
    assert client.get_experiment(first).tags[tracking.NOTE_TAG] == "reworded"
    tracking.ensure_experiment("iris_knn", project_root)  # a caller without a spec leaves it as it is
    assert client.get_experiment(first).tags[tracking.NOTE_TAG] == "reworded"
