"""coursework.deep as a package: no TensorFlow on a scikit-learn task's path, the estimator protocol, a task's own layers served."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from coursework import deep, evaluate, fitted, tracking
from tests.support import REPO, console

HEAVY = ("tensorflow", "keras", "jax", "torch")
# a classic task's whole step path in a fresh interpreter: every flow module, the checked task catalogue
# (it builds every task's estimator, the Keras ones too), a fit and its evaluation
PROBE = f"""
import json, sys
import flows.train_flow, flows.task_flow, flows.all_tasks
import pipelines as catalog
from coursework import deep, evaluate, fitted, train
from coursework.features import Split
from coursework.problems import problem_for
from sklearn.datasets import load_iris
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

catalog.load("params.yaml")
X, y = load_iris(return_X_y=True, as_frame=True)
model = train.train_model(Pipeline([("scale", StandardScaler())]), KNeighborsClassifier(), X, y)
evaluate.evaluate_model(problem_for("classification"), model, Split(X, X, y, y), task="iris", seed=0)
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})
print(json.dumps({{"heavy": heavy, "deep": "coursework.deep.estimators" in sys.modules, "flavor": fitted.flavor(model)}}))
"""


def test_a_scikit_learn_tasks_path_imports_no_tensorflow():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["heavy"] == []
    assert seen["deep"]  # the Keras estimators were imported (and built by the catalogue check), Keras was not
    assert seen["flavor"] == "sklearn"


def test_the_estimator_protocol_answers_for_keras_and_scikit_learn_alike():
    classic = Pipeline([("scale", StandardScaler()), ("model", KNeighborsClassifier())])
    keras_model = Pipeline([("scale", StandardScaler()), ("model", deep.KerasClassifier())])
    keras_model[-1].history_ = {"loss": [0.9, 0.5], "val_loss": [1.0, 0.7]}  # as a fit leaves them
    keras_model[-1].fit_stats_ = {"device": "CPU", "epochs_run": 2, "best_epoch": 2}
    assert isinstance(keras_model[-1], fitted.TrainingRecord)
    assert not isinstance(classic[-1], fitted.TrainingRecord)
    assert (fitted.flavor(keras_model), fitted.flavor(classic)) == ("keras", "sklearn")
    assert fitted.history(keras_model) == {"loss": [0.9, 0.5], "val_loss": [1.0, 0.7]}
    assert fitted.history(classic) == {} and fitted.stats(classic) == {}
    assert evaluate.training_metrics(keras_model[-1]) == {"epochs_run": 2.0, "best_epoch": 2.0}
    assert fitted.history(Pipeline([("scale", StandardScaler()), ("model", deep.KerasClassifier())])) == {}  # unfitted


def test_stock_lstms_own_layers_load_in_a_fresh_predict_process(project_root, tmp_path):
    pytest.importorskip("keras")
    from pipelines import get_spec
    from pipelines.stock_lstm.expectations import lag_columns

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(50 + rng.normal(size=(48, 20)).cumsum(axis=1), columns=list(lag_columns(20)))
    y = frame["lag_1"] + rng.normal(size=48)
    estimator = get_spec("stock_lstm").models["lstm"](epochs=1, batch_size=16, units=4, verbose=0,
                                                      checkpoint_dir=str(tmp_path / "ckpt"))
    model = Pipeline([("features", "passthrough"), ("model", estimator)]).fit(frame, y)
    tracking.configure(project_root)
    with tracking.task_run("stock_lstm", project_root, run_name="tiny", tags={}):
        uri = tracking.log_model(model, frame)  # the protocol's flavour picks the Keras logger
        version = tracking.register_version(uri, "stock_lstm", {"data_hash": "x"})
    tracking.set_alias("stock_lstm", "champion", version)
    frame.head(6).to_csv(project_root / "input.csv", index=False)
    done = console(project_root, "predict", "stock_lstm", "input.csv")  # nothing registered the layers there
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    served = pd.read_csv(io.StringIO(done.stdout))["prediction"].to_numpy()
    assert np.allclose(served, model.predict(frame.head(6)), rtol=1e-5)
