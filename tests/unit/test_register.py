"""register: the gate fails by default, must beat the baseline, and promotes only a strictly better model."""

import pytest

from coursework.register import check_gate, decide_promotion

GOOD = {"accuracy": 0.95, "baseline_accuracy": 0.33, "f1_macro": 0.94}
REG = {"rmse": 2.0, "baseline_rmse": 5.0, "r2": 0.6, "baseline_r2": 0.0}


@pytest.mark.parametrize(
    "metrics, gate, primary, miss_words",
    [
        # fails by default: a gate with no threshold is a miss, never a pass
        (GOOD, {}, "accuracy", ["no threshold"]),
        (GOOD, {"min": {}, "max": {}}, "accuracy", ["no threshold"]),
        (GOOD, {"min": None}, "accuracy", ["no threshold"]),
        # a gated metric that was not measured is a miss
        (GOOD, {"min": {"roc_auc": 0.7}}, "accuracy", ["roc_auc", "not measured"]),
        # must beat the baseline on the primary metric: equal is not enough
        ({"accuracy": 0.5, "baseline_accuracy": 0.5}, {"min": {"accuracy": 0.1}}, "accuracy", ["does not beat the baseline"]),
        ({"accuracy": 0.4, "baseline_accuracy": 0.5}, {"min": {"accuracy": 0.1}}, "accuracy", ["does not beat the baseline"]),
        ({"accuracy": 0.9}, {"min": {"accuracy": 0.5}}, "accuracy", ["baseline was not measured"]),
        # min and max bounds
        (GOOD, {"min": {"accuracy": 0.96}}, "accuracy", ["accuracy", "below", "0.96"]),
        (REG, {"max": {"rmse": 1.5}}, "rmse", ["rmse", "above", "1.5"]),
        (REG, {"min": {"r2": 0.7}, "max": {"rmse": 3.0}}, "rmse", ["r2", "below"]),
        # lower-is-better primary: an rmse above the mean predictor's does not beat it
        ({"rmse": 6.0, "baseline_rmse": 5.0}, {"max": {"rmse": 10.0}}, "rmse", ["rmse", "does not beat the baseline"]),
    ],
)
def test_check_gate_misses(metrics, gate, primary, miss_words):
    misses = check_gate(metrics, gate, primary)
    assert misses, "the gate must report a miss"
    text = " | ".join(misses)
    for word in miss_words:
        assert word in text


@pytest.mark.parametrize(
    "metrics, gate, primary",
    [
        (GOOD, {"min": {"accuracy": 0.95}}, "accuracy"),  # a bound is inclusive
        (GOOD, {"min": {"accuracy": 0.9, "f1_macro": 0.9}}, "accuracy"),
        (REG, {"max": {"rmse": 2.0}}, "rmse"),  # inclusive upper bound; lower rmse beats the baseline
        (REG, {"min": {"r2": 0.5}, "max": {"rmse": 3.0}}, "rmse"),
        (REG, {"min": {"r2": 0.5}}, "r2"),
    ],
)
def test_check_gate_passes(metrics, gate, primary):
    assert check_gate(metrics, gate, primary) == []


def test_check_gate_reports_every_miss():
    misses = check_gate({"accuracy": 0.2, "baseline_accuracy": 0.3}, {"min": {"accuracy": 0.9, "f1": 0.5}}, "accuracy")
    assert len(misses) == 3  # accuracy below, f1 not measured, baseline not beaten


GATE = {"min": {"accuracy": 0.9}}
RGATE = {"max": {"rmse": 3.0}}


@pytest.mark.parametrize(
    "metrics, gate, primary, champion, passed, promote",
    [
        (GOOD, GATE, "accuracy", None, True, True),  # first version to meet the gate
        (GOOD, GATE, "accuracy", 0.94, True, True),  # strictly better
        (GOOD, GATE, "accuracy", 0.95, True, False),  # equal is not better: challenger
        (GOOD, GATE, "accuracy", 0.99, True, False),  # worse
        (GOOD, {"min": {"accuracy": 0.99}}, "accuracy", None, False, False),  # misses the gate, even with no champion
        (GOOD, {"min": {"accuracy": 0.99}}, "accuracy", 0.5, False, False),  # better than champion but misses the gate
        (GOOD, {}, "accuracy", None, False, False),  # empty gate fails by default
        (REG, RGATE, "rmse", 2.5, True, True),  # lower rmse is better
        (REG, RGATE, "rmse", 2.0, True, False),
        (REG, RGATE, "rmse", 1.5, True, False),
    ],
)
def test_decide_promotion(metrics, gate, primary, champion, passed, promote):
    decision = decide_promotion(metrics, gate, primary, champion)
    assert decision.passed_gate is passed
    assert decision.promote is promote
    assert decision.alias == ("champion" if promote else "challenger")
    assert decision.reasons and all(isinstance(r, str) and r for r in decision.reasons)


def test_decide_promotion_says_why_not_promoted():
    decision = decide_promotion(GOOD, GATE, "accuracy", 0.95)
    assert "does not beat the champion" in decision.reasons[0]
    missed = decide_promotion(GOOD, {"min": {"accuracy": 0.99}}, "accuracy", None)
    assert "below" in missed.reasons[0]
