"""features: a seeded held-out split, and preprocessing fitted on the training split only."""

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import FunctionTransformer

from coursework.errors import ConfigError
from coursework.features import SCALERS, build_features, split_data
from tests.support import iris_frame

IRIS = iris_frame()
X_IRIS, Y_IRIS = IRIS.drop(columns="species"), IRIS["species"]


@pytest.mark.parametrize("test_size, n_test", [(0.4, 60), (0.2, 30), (0.5, 75)])
def test_split_sizes_and_no_overlap(test_size, n_test):
    split = split_data(X_IRIS, Y_IRIS, test_size=test_size, random_state=1, stratify=False)
    assert len(split.X_test) == len(split.y_test) == n_test
    assert len(split.X_train) + len(split.X_test) == len(X_IRIS)
    assert not set(split.X_train.index) & set(split.X_test.index)
    assert list(split.X_test.index) == list(split.y_test.index)
    assert list(split.X_train.index) == list(split.y_train.index)


def test_split_is_seeded():
    first = split_data(X_IRIS, Y_IRIS, test_size=0.4, random_state=1, stratify=False)
    again = split_data(X_IRIS, Y_IRIS, test_size=0.4, random_state=1, stratify=False)
    other = split_data(X_IRIS, Y_IRIS, test_size=0.4, random_state=2, stratify=False)
    assert list(first.X_test.index) == list(again.X_test.index)
    assert list(first.X_test.index) != list(other.X_test.index)


def test_split_stratified_keeps_class_shares():
    y_test = split_data(X_IRIS, Y_IRIS, test_size=0.4, random_state=1, stratify=True).y_test
    assert y_test.value_counts().to_dict() == {"setosa": 20, "versicolor": 20, "virginica": 20}


def test_split_without_target_for_clustering():
    split = split_data(X_IRIS, None, test_size=0.2, random_state=0, stratify=False)
    assert (len(split.X_train), len(split.X_test)) == (120, 30)
    assert split.y_train is None and split.y_test is None
    assert list(split.X_test.index) != list(X_IRIS.index[-30:])  # shuffled


@pytest.mark.parametrize("y", [Y_IRIS, None])
def test_unshuffled_split_tests_on_the_last_rows(y):
    split = split_data(X_IRIS, y, test_size=0.2, random_state=0, stratify=False, shuffle=False)
    assert list(split.X_test.index) == list(X_IRIS.index[-30:])
    assert list(split.X_train.index) == list(X_IRIS.index[:120])
    assert (split.y_test is None) == (y is None)


NUM = pd.DataFrame({"a": [1.0, 2.0, 3.0, np.nan], "b": [4.0, 0.0, 3.0, 1.0]})


def _fit(options, frame=NUM, numeric=("a", "b"), categorical=()):
    pipe = build_features(numeric=numeric, categorical=categorical, options=options)
    return pipe, np.asarray(pipe.fit_transform(frame), dtype=float)


def test_impute_uses_the_training_median():
    pipe, out = _fit({"scaler": "none"})
    assert out[3, 0] == 2.0  # median of 1, 2, 3
    later = pd.DataFrame({"a": [np.nan], "b": [100.0]})
    assert np.asarray(pipe.transform(later))[0, 0] == 2.0  # the fitted statistic, not the new batch's


def test_impute_can_be_switched_off():
    _, out = _fit({"scaler": "none", "impute": False})
    assert np.isnan(out[3, 0])


SCALER_CHECKS = {
    "none": lambda out: np.allclose(out[:, 1], [4.0, 0.0, 3.0, 1.0]),
    "standard": lambda out: np.allclose(out.mean(axis=0), 0) and np.allclose(out.std(axis=0), 1),
    "minmax": lambda out: np.allclose(out.min(axis=0), 0) and np.allclose(out.max(axis=0), 1),
    "l1": lambda out: np.allclose(np.abs(out).sum(axis=1), 1),
    "l2": lambda out: np.allclose(np.linalg.norm(out, axis=1), 1),
    "binarize": lambda out: set(np.unique(out)) <= {0.0, 1.0},
}


@pytest.mark.parametrize("scaler", sorted(SCALERS))  # every scaler the code offers: one without a check fails here
def test_scalers(scaler):
    assert scaler in SCALER_CHECKS, f"scaler '{scaler}' has no check in this test"
    _, out = _fit({"scaler": scaler})
    assert out.shape == (4, 2)
    assert SCALER_CHECKS[scaler](out)


def test_binarize_threshold():
    _, out = _fit({"scaler": "binarize", "threshold": 2.5})
    assert out[:, 1].tolist() == [1.0, 0.0, 1.0, 0.0]


def test_unknown_scaler_is_a_config_error():
    with pytest.raises(ConfigError, match="robust"):
        build_features(numeric=["a"], categorical=[], options={"scaler": "robust"})


def test_categorical_one_hot_ignores_unknown_categories():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["red", "blue", None]})
    pipe = build_features(numeric=["x"], categorical=["c"], options={"scaler": "none"})
    out = np.asarray(pipe.fit_transform(frame))
    assert out.shape == (3, 3)  # x, c=blue, c=red (None imputed to the most frequent)
    unseen = np.asarray(pipe.transform(pd.DataFrame({"x": [1.0], "c": ["green"]})))
    assert unseen[0, 1:].tolist() == [0.0, 0.0]


def test_columns_outside_the_spec_are_dropped():
    frame = NUM.assign(leak=[1, 2, 3, 4])
    pipe, out = _fit({"scaler": "none"}, frame=frame)
    assert out.shape[1] == 2


def test_task_steps_come_first():
    double = FunctionTransformer(lambda df: df.assign(a=df["a"] * 2))
    pipe = build_features(numeric=["a"], categorical=[], options={"scaler": "none"}, task_steps=[("double", double)])
    assert [name for name, _ in pipe.steps] == ["double", "columns"]
    assert np.asarray(pipe.fit_transform(pd.DataFrame({"a": [1.0, 2.0]})))[:, 0].tolist() == [2.0, 4.0]
