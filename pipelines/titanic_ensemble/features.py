"""TitanicFeatures: the deck's feature engineering, learned on the training split and replayed at predict time."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

TITLES = ("Mr", "Mrs", "Miss", "Master")  # everything else (Dr, Rev, Countess, unseen ones) is "Rare"
TITLE_SYNONYMS = {"Mlle": "Miss", "Ms": "Miss", "Mme": "Mrs"}  # French and modern forms of the same title
AGE_LABELS = ("child", "teen", "young_adult", "adult", "senior")  # the life stages; their edges are in params.yaml
DECKS = tuple("ABCDEFG")  # cabin letters with enough passengers; the lone "T" and no cabin become "U"
USED = ("pclass", "name", "sex", "age", "sibsp", "parch", "fare", "cabin", "embarked")
NUMERIC = ("pclass", "age", "fare_log", "family_size", "is_alone")
CATEGORICAL = ("sex", "title", "embarked", "deck", "age_bin", "fare_bin")


def extract_title(names: pd.Series) -> pd.Series:
    """Mr, Mrs, Miss, Master or Rare from 'Surname, Title. Given names'."""
    raw = names.astype(object).fillna("").astype(str).str.extract(r",\s*([^.]+)\.", expand=False).str.strip()
    raw = raw.replace(TITLE_SYNONYMS)
    return pd.Series(np.where(raw.isin(TITLES), raw, "Rare"), index=names.index, dtype=object)


def _text(values: pd.Series, fix) -> pd.Series:
    """Trimmed text passed through fix, blanks as missing; works on an all-missing (float) column too."""
    def one(value):
        if pd.isna(value) or not str(value).strip():
            return np.nan
        return fix(str(value).strip())
    return values.astype(object).map(one)


def formatted(X: pd.DataFrame) -> pd.DataFrame:
    """The raw columns in one format: numbers as numbers, codes in one case, title and deck pulled out of text."""
    deck = _text(X["cabin"], lambda s: s[0].upper())
    return pd.DataFrame({
        **{c: pd.to_numeric(X[c], errors="coerce") for c in ("pclass", "age", "fare")},
        **{c: pd.to_numeric(X[c], errors="coerce").fillna(0) for c in ("sibsp", "parch")},
        "sex": _text(X["sex"], str.lower),
        "embarked": _text(X["embarked"], str.upper),
        "deck": deck.where(deck.isin(DECKS), "U"),
        "title": extract_title(X["name"]),
    }, index=X.index)


class TitanicFeatures(TransformerMixin, BaseEstimator):
    """Title, family size, imputed age/fare, log fare, age and fare bins and deck from the raw Titanic columns.

    Every statistic (age median per title, fare median per class, embarked mode, fare quantile edges) is
    learned in fit, so a model fitted on the training split never sees the test split's values.
    """

    def __init__(self, age_edges: tuple[float, ...], fare_bins: int = 4):
        self.age_edges = age_edges  # fixed life stages, so the bins mean the same on every split
        self.fare_bins = fare_bins

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        return tags

    def _check(self, X, *, reset: bool) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise TypeError("TitanicFeatures takes a DataFrame with the raw Titanic columns")
        missing = [c for c in USED if c not in X.columns]
        if missing:
            raise ValueError(f"TitanicFeatures: missing raw column(s) {missing}")
        validate_data(self, X, reset=reset, skip_check_array=True)  # records/checks feature_names_in_
        return formatted(X)

    def fit(self, X, y=None):
        if int(self.fare_bins) < 1:
            raise ValueError(f"fare_bins must be at least 1, not {self.fare_bins}")
        edges = [float(e) for e in self.age_edges]
        if len(edges) != len(AGE_LABELS) - 1 or edges != sorted(set(edges)):
            raise ValueError(f"age_edges must be {len(AGE_LABELS) - 1} increasing ages, one between each of "
                             f"{', '.join(AGE_LABELS)}; got {list(self.age_edges)}")
        base = self._check(X, reset=True)
        if base["age"].notna().sum() == 0:
            raise ValueError("TitanicFeatures: no known ages to learn the imputation from")
        self.age_by_title_ = base.groupby("title")["age"].median().dropna().to_dict()
        self.age_median_ = float(base["age"].median())
        self.fare_by_class_ = base.groupby("pclass")["fare"].median().dropna().to_dict()
        self.fare_median_ = float(base["fare"].median()) if base["fare"].notna().any() else 0.0
        known_port = base["embarked"].dropna()
        self.embarked_mode_ = str(known_port.mode().iloc[0]) if len(known_port) else "S"
        fare = self._fare(base)
        quantiles = np.quantile(fare, np.linspace(0, 1, int(self.fare_bins) + 1)[1:-1])
        self.fare_edges_ = np.unique(quantiles)  # ties (many equal fares) merge bins rather than make empty ones
        return self

    def _fare(self, base: pd.DataFrame) -> pd.Series:
        return base["fare"].fillna(base["pclass"].map(self.fare_by_class_)).fillna(self.fare_median_)

    def transform(self, X):
        check_is_fitted(self, "age_by_title_")
        base = self._check(X, reset=False)
        age = base["age"].fillna(base["title"].map(self.age_by_title_)).fillna(self.age_median_)
        fare = self._fare(base)
        family = base["sibsp"] + base["parch"] + 1
        age_bin = np.asarray(AGE_LABELS, dtype=object)[np.digitize(age, [float(e) for e in self.age_edges])]
        fare_bin = [f"q{i}" for i in np.digitize(fare, self.fare_edges_)]
        embarked = base["embarked"].astype(object).fillna(self.embarked_mode_)
        out = pd.DataFrame({
            "pclass": base["pclass"], "age": age, "fare_log": np.log1p(fare),  # log1p: fare is right-skewed
            "family_size": family, "is_alone": (family == 1).astype(int),
            "sex": base["sex"], "title": base["title"], "embarked": embarked,
            "deck": base["deck"], "age_bin": age_bin, "fare_bin": fare_bin,
        }, index=X.index)
        return out.astype({c: object for c in CATEGORICAL})  # one dtype for the one-hot step, whatever pandas inferred

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "age_by_title_")
        return np.asarray([*NUMERIC, *CATEGORICAL], dtype=object)
