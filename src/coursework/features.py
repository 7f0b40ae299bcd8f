"""features: the preprocessing a task's model carries inside it, fitted on the training split only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Binarizer, MinMaxScaler, Normalizer, OneHotEncoder, StandardScaler

from coursework.errors import ConfigError

# The decks' preprocessing lessons, chosen per task in params.yaml under features.scaler.
SCALERS = {
    "none": lambda opts: "passthrough",
    "standard": lambda opts: StandardScaler(),
    "minmax": lambda opts: MinMaxScaler(),
    "l1": lambda opts: Normalizer(norm="l1"),
    "l2": lambda opts: Normalizer(norm="l2"),
    "binarize": lambda opts: Binarizer(threshold=float(opts.get("threshold", 0.0))),
}


@dataclass(frozen=True)
class Split:
    """A task's rows held apart: what the model trains on, and the test rows nothing but evaluate sees."""

    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: pd.Series | None
    y_test: pd.Series | None


def split_data(
    X: pd.DataFrame, y: pd.Series | None, *, test_size: float, random_state: int, stratify: bool,
    shuffle: bool = True,
) -> Split:
    """Hold out the test split that nothing but evaluate ever sees (the last rows when shuffle is false)."""
    if y is None:
        X_train, X_test = train_test_split(X, test_size=test_size, shuffle=shuffle,
                                           random_state=random_state if shuffle else None)
        return Split(X_train, X_test, None, None)
    if not shuffle:  # time order kept: the model never trains on rows after the ones it is tested on
        return Split(*train_test_split(X, y, test_size=test_size, shuffle=False))
    return Split(*train_test_split(X, y, test_size=test_size, random_state=random_state, stratify=y if stratify else None))


def _numeric_steps(options: Mapping[str, Any]) -> Pipeline:
    scaler = options.get("scaler", "none")
    if scaler not in SCALERS:
        raise ConfigError(f"features.scaler '{scaler}' is not one of {sorted(SCALERS)}")
    steps = []
    if options.get("impute", True):
        steps.append(("impute", SimpleImputer(strategy=options.get("impute_strategy", "median"))))
    steps.append(("scale", SCALERS[scaler](options)))
    return Pipeline(steps)


def build_features(
    *, numeric: Sequence[str], categorical: Sequence[str], options: Mapping[str, Any], task_steps: list | None = None
) -> Pipeline:
    """An unfitted sklearn Pipeline: task-specific steps, then impute/scale numbers and one-hot categories."""
    transformers = []
    if numeric:
        transformers.append(("numeric", _numeric_steps(options), list(numeric)))
    if categorical:
        categories = Pipeline([
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ])
        transformers.append(("categorical", categories, list(categorical)))
    columns = ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)
    return Pipeline([*(task_steps or []), ("columns", columns)])


def task_split(spec: Any, params: Any, frame: pd.DataFrame) -> tuple[Split, Pipeline]:
    """The Split and the unfitted preprocessing of a task: what `run` and `tune` share."""
    X, y = spec.split_xy(frame)
    options = params.split
    split = split_data(X, y, test_size=options.test_size, random_state=options.random_state,
                       stratify=options.stratify, shuffle=options.shuffle)
    task_steps = spec.feature_steps(params.features) if spec.feature_steps else None
    pipeline = build_features(numeric=spec.numeric, categorical=spec.categorical, options=params.features,
                              task_steps=task_steps)
    return split, pipeline
