"""The safe Keras artefact: `.keras` (safe_mode) + skops preprocessing + the pyfunc wrapper as code, no pickle."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from coursework import deep, tracking

pytest.importorskip("keras")


@pytest.fixture
def tiny_pipeline(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    y = np.where(frame["a"] > 0, "yes", "no")
    model = deep.KerasClassifier(build=deep.dense_network, build_options={"hidden": [4]}, epochs=2, batch_size=16,
                                 patience=2, verbose=0, checkpoint_dir=str(tmp_path / "ckpt"))
    return Pipeline([("scale", StandardScaler()), ("model", model)]).fit(frame, y), frame


def _no_unpickling(*args, **kwargs):
    raise AssertionError("pickle used on the loading path")


def test_keras_model_is_logged_without_pickle_and_served_with_the_same_labels(project_root, tiny_pipeline, monkeypatch):
    model, frame = tiny_pipeline
    tracking.configure(project_root)
    with tracking.task_run("tiny_keras", project_root, run_name="tiny", tags={}):
        uri = tracking.log_model(model, frame)  # a Keras estimator's flavour: logged by tracking_keras
        version = tracking.register_version(uri, "tiny_keras", {"data_hash": "x"})
    tracking.set_alias("tiny_keras", "champion", version)
    record = tracking.alias_version("tiny_keras")["tags"]
    from coursework import artifacts

    files = artifacts.hashes_from_tags(record, what="tiny_keras")
    assert {"artifacts/model.keras", "artifacts/preprocessing.skops", "MLmodel"} <= set(files)
    assert any(name.endswith("keras_pyfunc.py") for name in files)  # the wrapper travels as code
    assert not [name for name in files if name.endswith((".pkl", ".pickle", ".cloudpickle"))]
    import cloudpickle

    for module, name in [(pickle, "load"), (pickle, "loads"), (pickle, "Unpickler"),
                         (cloudpickle, "load"), (cloudpickle, "loads")]:  # cloudpickle binds its own at import
        monkeypatch.setattr(module, name, _no_unpickling)
    served = tracking.load_alias_model("tiny_keras")
    assert (np.asarray(served.predict(frame)) == model.predict(frame)).all()  # labels out, as before


def test_a_keras_file_with_a_lambda_layer_is_refused_by_safe_mode(tmp_path, tiny_pipeline):
    model, frame = tiny_pipeline
    keras = deep.keras_module()
    network = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Lambda(lambda x: x * 2), keras.layers.Dense(1)])
    network.save(tmp_path / "lambda.keras")  # a Lambda layer stores Python bytecode that loading would run
    _, detached = deep.save_network(model, tmp_path / "saved")
    with pytest.raises(ValueError, match="safe_mode"):
        deep.attach_network(detached, tmp_path / "lambda.keras")
