"""The champion decision on one footing: what is compared, and when the two are not comparable."""

from __future__ import annotations

import pandas as pd
import pytest

from coursework import champion, register
from coursework.features import Split
from coursework.problems import PROBLEMS
from coursework.register import Comparison, Footing

CLASSIFICATION = PROBLEMS["classification"]

GATE = {"min": {"accuracy": 0.9}}
BASE = Footing(split="s", test_rows="t", evaluation="e", schema="c")


def _footing(**changed: str) -> Footing:
    return Footing(**{**vars(BASE), **changed})


@pytest.mark.parametrize(
    "new, old, plan, words",
    [
        (BASE, BASE, "direct", "same split"),
        (_footing(split="s2", test_rows="t2"), BASE, "rescore", "the split params, the test rows differ"),
        (_footing(test_rows="t2"), BASE, "rescore", "the test rows differ"),
        (_footing(evaluation="e2"), BASE, "rescore", "the evaluation code differ"),
        (_footing(schema="c2"), BASE, "not comparable", "feature schema"),
        (_footing(schema="c2", split="s2"), BASE, "not comparable", "feature schema"),
        (BASE, None, "not comparable", "recorded no footing"),
    ],
)
def test_plan_comparison(new, old, plan, words):
    found, why = register.plan_comparison(new, old)
    assert found == plan and words in why


@pytest.mark.parametrize(
    "metrics, comparison, promote, passed, words",
    [
        ({"accuracy": 0.95}, None, True, True, "first version"),
        ({"accuracy": 0.95}, Comparison(champion_value=0.97), False, True, "does not beat the champion's 0.9700"),
        ({"accuracy": 0.98}, Comparison(champion_value=0.97), True, True, "beats the champion's 0.9700"),
        # the typo'd 30-row split that scored 1.0: re-scored on shared rows it no longer wins
        ({"accuracy": 1.0}, Comparison(0.93, 0.96, 40, why="x"), False, True, "re-scored on 40 test rows"),
        ({"accuracy": 0.95}, Comparison(0.97, 0.96, 40, why="x"), True, True, "0.9700 beats the champion's 0.9600"),
        ({"accuracy": 1.0}, Comparison(rows=8, not_comparable="too few"), False, True, "promote it by hand"),
        ({"accuracy": 0.5}, Comparison(0.99, 0.5, 40, why="x"), False, False, "below the gate"),
        ({"accuracy": 0.5}, Comparison(not_comparable="schema"), False, False, "below the gate"),
    ],
)
def test_decide_against(metrics, comparison, promote, passed, words):
    decision = register.decide_against({**metrics, "baseline_accuracy": 0.3}, GATE, "accuracy", comparison)
    assert (decision.promote, decision.passed_gate) == (promote, passed)
    assert words in "; ".join(decision.reasons)


@pytest.mark.parametrize("rows, comparable", [(29, False), (30, True), (120, True)])
def test_rescored_needs_enough_rows(rows, comparable):
    found = register.rescored(0.9, 0.8, rows, "the test rows differ")
    assert (found.not_comparable is None) == comparable
    if comparable:
        assert found.tags("accuracy")["compared_accuracy_new"] == "0.9"
        assert found.tags("accuracy")["compared_accuracy_champion"] == "0.8"
    else:
        assert f"only {rows}" in found.not_comparable and "30" in found.not_comparable


def test_footing_round_trips_through_tags():
    assert Footing.from_tags({**BASE.tags(), "other": "x"}) == BASE
    assert Footing.from_tags({"footing_split": "s"}) is None


def test_unseen_rows_matches_by_content():
    assert register.unseen_rows(["a", "b", "c"], {"b"}) == [True, False, True]


def test_row_hashes_see_content_not_position_or_column_order():
    X = pd.DataFrame({"a": [1.0, 2.0, 1.0], "b": ["x", "y", "x"]}, index=[7, 8, 9])
    y = pd.Series([0, 1, 0], index=[7, 8, 9])
    hashes = champion.row_hashes(X, y)
    assert hashes[0] == hashes[2] != hashes[1]  # equal rows match wherever they sit
    assert champion.row_hashes(X[["b", "a"]], y) == hashes
    assert champion.row_hashes(X, pd.Series([1, 1, 0], index=[7, 8, 9]))[0] != hashes[0]  # the target counts


def test_measure_changes_with_split_and_test_rows():
    X = pd.DataFrame({"a": range(10)})
    y = pd.Series([0, 1] * 5)
    footing, train, test = champion.measure({"test_size": 0.4}, Split(X[:6], X[6:], y[:6], y[6:]))
    assert len(train) == 6 and len(test) == 4
    other, _, _ = champion.measure({"test_size": 0.3}, Split(X[:7], X[7:], y[:7], y[7:]))
    assert other.split != footing.split and other.test_rows != footing.test_rows
    assert (other.evaluation, other.schema) == (footing.evaluation, footing.schema)


@pytest.fixture
def iris_parts():
    from sklearn.datasets import load_iris

    from coursework.features import split_data

    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y, split_data(X, y, test_size=0.4, random_state=1, stratify=False)


def _fit(split, k: int):
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline

    return Pipeline([("knn", KNeighborsClassifier(k))]).fit(split.X_train, split.y_train)


def _champion_of(split, model, monkeypatch, *, record_rows: bool = True) -> dict:
    """A registered champion as tracking.alias_version gives it, with its model and training rows behind it."""
    footing, train_rows, _ = champion.measure({"test_size": 0.4}, split)
    monkeypatch.setattr(champion.tracking, "load_run_dict", lambda run_id, name: {"rows": train_rows} if record_rows else None)
    monkeypatch.setattr(champion.tracking, "load_alias_estimator", lambda task: model)
    score = CLASSIFICATION.score(model, split.X_test, split.y_test)["accuracy"]
    return {"tags": footing.tags(), "metrics": {"accuracy": score}, "run_id": "r1"}


def test_compare_rescores_the_champion_on_rows_it_never_trained_on(iris_parts, monkeypatch):
    X, y, deck = iris_parts
    held = _champion_of(deck, _fit(deck, 3), monkeypatch)
    from coursework.features import split_data

    half = split_data(X, y, test_size=0.5, random_state=1, stratify=False)
    footing, _, test_rows = champion.measure({"test_size": 0.5}, half)
    found = champion.compare("iris_knn", CLASSIFICATION, "accuracy", held, footing, _fit(half, 1), half, test_rows)
    assert found.rows == 60 and found.not_comparable is None  # the deck's 60 test rows; 15 trained-on rows left out
    assert found.champion_value == pytest.approx(59 / 60)
    assert "the split params, the test rows differ" in found.why


def test_compare_same_footing_uses_the_recorded_score(iris_parts, monkeypatch):
    _, _, deck = iris_parts
    held = _champion_of(deck, _fit(deck, 3), monkeypatch)
    footing, _, test_rows = champion.measure({"test_size": 0.4}, deck)
    found = champion.compare("iris_knn", CLASSIFICATION, "accuracy", held, footing, _fit(deck, 1), deck, test_rows)
    assert (found.rows, found.champion_value) == (None, held["metrics"]["accuracy"])


@pytest.mark.parametrize("case, words", [
    ("few_rows", "only 8 of the new test rows"),
    ("no_train_rows", "recorded no training rows"),
    ("unknown_metric", "cannot be re-scored"),
])
def test_compare_not_comparable(iris_parts, monkeypatch, case, words):
    X, y, deck = iris_parts
    held = _champion_of(deck, _fit(deck, 3), monkeypatch, record_rows=case != "no_train_rows")
    from coursework.features import split_data

    new = split_data(X, y, test_size=0.05 if case == "few_rows" else 0.5, random_state=1, stratify=False)
    footing, _, test_rows = champion.measure({"test_size": len(new.X_test)}, new)
    primary = "within_1" if case == "unknown_metric" else "accuracy"  # a metric only a task's report computes
    found = champion.compare("iris_knn", CLASSIFICATION, primary, held, footing, _fit(new, 3), new, test_rows)
    assert found.not_comparable and words in found.not_comparable


def test_row_hashes_take_missing_values():
    X = pd.DataFrame({"cabin": [None, "C85", None], "age": [float("nan"), 38.0, float("nan")]})
    hashes = champion.row_hashes(X, pd.Series([0, 1, 0]))
    assert hashes[0] == hashes[2] != hashes[1]
