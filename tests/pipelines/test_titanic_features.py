"""TitanicFeatures: each engineered column, and that every statistic comes from the fit data only."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from coursework.config import load_params
from pipelines.titanic_ensemble.data import load_titanic
from pipelines.titanic_ensemble.features import CATEGORICAL, NUMERIC, TitanicFeatures, extract_title
from tests.support import PARAMS

EDGES = tuple(load_params(PARAMS)["titanic_ensemble"]["features"]["age_edges"])  # the life stages' edges


def passengers(rows: list[dict]) -> pd.DataFrame:
    """Raw Titanic rows; unspecified columns get ordinary values."""
    default = {"pclass": 3, "name": "Doe, Mr. John", "sex": "male", "age": 30.0, "sibsp": 0, "parch": 0,
               "fare": 8.05, "cabin": np.nan, "embarked": "S"}
    return pd.DataFrame([{**default, **row} for row in rows])


@pytest.mark.parametrize("name, title", [
    ("Braund, Mr. Owen Harris", "Mr"),
    ("Cumings, Mrs. John Bradley (Florence Briggs Thayer)", "Mrs"),
    ("Heikkinen, Miss. Laina", "Miss"),
    ("Palsson, Master. Gosta Leonard", "Master"),
    ("Aubart, Mme. Leontine Pauline", "Mrs"),
    ("Sagesser, Mlle. Emma", "Miss"),
    ("Reynaldo, Ms. Encarnacion", "Miss"),
    ("Minahan, Dr. William Edward", "Rare"),
    ("Rothes, the Countess. of (Lucy Noel Martha Dyer-Edwards)", "Rare"),
    ("Doe, Herr. Johann", "Rare"),  # a title never seen in the data
    ("no title at all", "Rare"),
    (np.nan, "Rare"),
])
def test_extract_title(name, title):
    assert extract_title(pd.Series([name])).tolist() == [title]


def test_family_size_and_is_alone():
    X = passengers([{"sibsp": 0, "parch": 0}, {"sibsp": 1, "parch": 2}, {"sibsp": 0, "parch": 1}])
    out = TitanicFeatures(EDGES).fit(X).transform(X)
    assert out["family_size"].tolist() == [1, 4, 2]
    assert out["is_alone"].tolist() == [1, 0, 0]


def test_age_imputed_by_title_median_learned_in_fit_only():
    train = passengers([
        {"name": "A, Mr. X", "age": 20.0}, {"name": "B, Mr. Y", "age": 40.0},
        {"name": "C, Master. Z", "age": 4.0}, {"name": "D, Mrs. W", "age": 50.0}, {"name": "E, Mrs. Q", "age": 56.0},
    ])  # overall median 40, so a title fallback is told apart from the Mr median 30
    test = passengers([
        {"name": "E, Mr. V", "age": np.nan}, {"name": "F, Mr. U", "age": 80.0},  # 80 must not move the Mr median
        {"name": "G, Master. T", "age": np.nan}, {"name": "H, Miss. S", "age": np.nan},  # no Miss in fit data
    ])
    features = TitanicFeatures(EDGES).fit(train)
    assert features.age_by_title_ == {"Master": 4.0, "Mr": 30.0, "Mrs": 53.0}
    assert features.transform(test)["age"].tolist() == [30.0, 80.0, 4.0, 40.0]  # Miss falls back to the overall median


def test_unseen_title_becomes_rare_and_takes_rare_age():
    train = passengers([{"name": "A, Dr. X", "age": 60.0}, {"name": "B, Mr. Y", "age": 20.0}])
    test = passengers([{"name": "C, Herr. Johann", "age": np.nan}])
    out = TitanicFeatures(EDGES).fit(train).transform(test)
    assert out["title"].tolist() == ["Rare"]
    assert out["age"].tolist() == [60.0]


def test_fare_imputed_by_class_then_logged_and_binned_on_fit_edges():
    train = passengers([{"pclass": 1, "fare": 100.0}, {"pclass": 1, "fare": 60.0},
                        {"pclass": 3, "fare": 7.0}, {"pclass": 3, "fare": 9.0}])
    test = passengers([{"pclass": 1, "fare": np.nan}, {"pclass": 3, "fare": 10_000.0}, {"pclass": 3, "fare": 0.0}])
    features = TitanicFeatures(EDGES, fare_bins=2).fit(train)
    out = features.transform(test)
    assert out["fare_log"].tolist() == pytest.approx(np.log1p([80.0, 10_000.0, 0.0]).tolist())
    assert features.fare_edges_.tolist() == [34.5]  # the training fares' median, not the test's
    assert out["fare_bin"].tolist() == ["q1", "q1", "q0"]


def test_text_is_formatted_and_deck_comes_from_cabin():
    X = passengers([{"sex": " Female ", "embarked": "c", "cabin": "c85"}, {"cabin": "T"}, {"cabin": np.nan}])
    out = TitanicFeatures(EDGES).fit(X).transform(X)
    assert out["sex"].tolist() == ["female", "male", "male"]
    assert out["embarked"].tolist() == ["C", "S", "S"]
    assert out["deck"].tolist() == ["C", "U", "U"]


def test_age_bins_use_fixed_life_stages():
    X = passengers([{"age": a} for a in (0.5, 12.0, 17.0, 34.0, 59.0, 60.0)])
    out = TitanicFeatures(EDGES).fit(X).transform(X)
    assert out["age_bin"].tolist() == ["child", "teen", "teen", "young_adult", "adult", "senior"]


def test_no_missing_values_out_even_from_all_missing_columns():
    train = passengers([{"embarked": "Q"}, {"embarked": "Q"}, {"embarked": "S", "age": np.nan}])
    test = passengers([{"age": np.nan, "fare": np.nan, "name": "X, Herr. Y"}] * 3)
    test["cabin"] = np.nan  # float64 columns, as pandas reads a small CSV with every value blank
    test["embarked"] = np.nan
    out = TitanicFeatures(EDGES).fit(train).transform(test)
    assert list(out.columns) == [*NUMERIC, *CATEGORICAL]
    assert not out.isna().any().any()
    assert out["embarked"].tolist() == ["Q", "Q", "Q"]  # the fit data's most common port


def test_construction_is_stateless_and_fit_learns_everything():
    features = TitanicFeatures(EDGES, fare_bins=3)
    assert features.get_params() == {"age_edges": EDGES, "fare_bins": 3}
    assert not [k for k in vars(features) if k.endswith("_")]
    assert clone(features).get_params() == {"age_edges": EDGES, "fare_bins": 3}
    with pytest.raises(NotFittedError):
        features.transform(passengers([{}]))


def test_rejects_missing_columns_and_arrays():
    with pytest.raises(ValueError, match="cabin"):
        TitanicFeatures(EDGES).fit(passengers([{}]).drop(columns="cabin"))
    with pytest.raises(TypeError):
        TitanicFeatures(EDGES).fit(passengers([{}]).to_numpy())


def test_real_titanic_has_no_gaps_and_five_titles():
    raw = load_titanic()
    out = TitanicFeatures(EDGES).fit_transform(raw.drop(columns=["survived"]))
    assert len(out) == 1309 and not out.isna().any().any()
    assert set(out["title"]) == {"Mr", "Mrs", "Miss", "Master", "Rare"}
    assert list(TitanicFeatures(EDGES).fit(raw).get_feature_names_out()) == [*NUMERIC, *CATEGORICAL]


@pytest.mark.parametrize("edges", [(12.0, 18.0, 35.0), (18.0, 12.0, 35.0, 60.0), (12.0, 12.0, 35.0, 60.0)])
def test_age_edges_must_be_four_increasing_ages(edges):
    with pytest.raises(ValueError, match="age_edges must be 4 increasing ages"):
        TitanicFeatures(edges).fit(passengers([{}, {"age": 5.0}]))
