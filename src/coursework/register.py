"""register: the gate that decides whether a new model version becomes the task's champion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from coursework.problems import METRIC_DIRECTION


@dataclass(frozen=True)
class Decision:
    """Whether a version met its gate and whether it takes the `champion` alias, with the reasons."""

    passed_gate: bool
    promote: bool
    reasons: tuple[str, ...]

    @property
    def alias(self) -> str:
        return "champion" if self.promote else "challenger"


def _better(a: float, b: float, greater_is_better: bool) -> bool:
    return a > b if greater_is_better else a < b


def check_gate(metrics: Mapping[str, float], gate: Mapping[str, Mapping[str, float]], primary: str) -> list[str]:
    """Every way the metrics miss the gate; an empty gate or a missing metric is a miss, never a pass."""
    misses: list[str] = []
    bounds = {**{(m, "min"): v for m, v in (gate.get("min") or {}).items()},
              **{(m, "max"): v for m, v in (gate.get("max") or {}).items()}}
    if not bounds:
        misses.append("the task's gate in params.yaml sets no threshold")
    for (metric, side), limit in sorted(bounds.items()):
        value = metrics.get(metric)
        if value is None:
            misses.append(f"{metric} was not measured, so it cannot meet {side} {limit}")
        elif side == "min" and value < limit:
            misses.append(f"{metric} {value:.4f} is below the gate's minimum {limit}")
        elif side == "max" and value > limit:
            misses.append(f"{metric} {value:.4f} is above the gate's maximum {limit}")
    baseline = metrics.get(f"baseline_{primary}")
    value = metrics.get(primary)
    if value is None or baseline is None:
        misses.append(f"{primary} or its baseline was not measured")
    elif not _better(value, baseline, METRIC_DIRECTION[primary]):
        misses.append(f"{primary} {value:.4f} does not beat the baseline's {baseline:.4f}")
    return misses


def decide_promotion(
    metrics: Mapping[str, float],
    gate: Mapping[str, Mapping[str, float]],
    primary: str,
    champion_value: float | None,
) -> Decision:
    """Promote only a version that meets the gate and strictly beats the champion (or there is none)."""
    misses = check_gate(metrics, gate, primary)
    if misses:
        return Decision(False, False, tuple(misses))
    value = metrics[primary]
    if champion_value is None:
        return Decision(True, True, (f"first version to meet the gate ({primary} {value:.4f})",))
    if _better(value, champion_value, METRIC_DIRECTION[primary]):
        return Decision(True, True, (f"{primary} {value:.4f} beats the champion's {champion_value:.4f}",))
    return Decision(True, False, (f"{primary} {value:.4f} does not beat the champion's {champion_value:.4f}",))


# ---------------------------------------------------------------- comparing with the champion on one footing

MIN_COMPARABLE_ROWS = 30  # fewer shared unseen test rows than this and one row moves accuracy by >3 points

FOOTING_PARTS = {"split": "the split params", "test_rows": "the test rows", "evaluation": "the evaluation code"}


@dataclass(frozen=True)
class Footing:
    """What a version's test score stands on: hashes of its split params, test rows, evaluation code and inputs."""

    split: str
    test_rows: str
    evaluation: str
    schema: str

    def tags(self) -> dict[str, str]:
        return {f"footing_{name}": value for name, value in vars(self).items()}

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> "Footing | None":
        """The footing a registered version recorded, or None for a version registered before footings."""
        try:
            return cls(**{name: tags[f"footing_{name}"] for name in ("split", "test_rows", "evaluation", "schema")})
        except KeyError:
            return None


def footing_changes(new: Footing, champion: Footing) -> list[str]:
    """Which parts of the score's footing differ from the champion's (the input schema is checked apart)."""
    return [label for name, label in FOOTING_PARTS.items() if getattr(new, name) != getattr(champion, name)]


@dataclass(frozen=True)
class Comparison:
    """How the new version is compared with the champion: both scores on the same rows, or why they cannot be."""

    new_value: float | None = None
    champion_value: float | None = None
    rows: int | None = None  # None: the champion's own recorded score, on an identical footing
    not_comparable: str | None = None
    why: str = ""

    def tags(self, primary: str) -> dict[str, str]:
        """What the version's tags show: how it was compared and, when re-scored, both numbers."""
        if self.not_comparable:
            return {"comparison": "not comparable", "comparison_basis": self.not_comparable}
        if self.rows is None:
            return {"comparison": "same footing", "comparison_basis": self.why}
        return {"comparison": f"re-scored on {self.rows} test rows the champion never trained on",
                "comparison_basis": self.why, "comparison_rows": str(self.rows),
                f"compared_{primary}_new": f"{self.new_value:.6g}",
                f"compared_{primary}_champion": f"{self.champion_value:.6g}"}


def plan_comparison(new: Footing, champion: Footing | None) -> tuple[str, str]:
    """('direct' | 'rescore' | 'not comparable', why): how to compare a new version with the champion."""
    if champion is None:
        return "not comparable", "the champion recorded no footing (registered before footings were kept)"
    if new.schema != champion.schema:
        return "not comparable", "the feature schema (input columns or dtypes) differs from the champion's"
    changes = footing_changes(new, champion)
    if not changes:
        return "direct", "same split, test rows and evaluation code as the champion"
    return "rescore", f"{', '.join(changes)} differ from the champion's"


def unseen_rows(test_rows: list[str], champion_trained: set[str]) -> list[bool]:
    """Which test rows the champion never trained on (matched by row content hash)."""
    return [row not in champion_trained for row in test_rows]


def rescored(new_value: float, champion_value: float, rows: int, why: str) -> Comparison:
    """Both models' scores on the shared unseen rows, or not comparable when too few rows remain."""
    if rows < MIN_COMPARABLE_ROWS:
        return Comparison(rows=rows, why=why, not_comparable=(
            f"{why}, and only {rows} of the new test rows are unseen by the champion "
            f"(at least {MIN_COMPARABLE_ROWS} are needed)"))
    return Comparison(new_value, champion_value, rows, why=why)


def decide_against(metrics: Mapping[str, float], gate: Mapping[str, Mapping[str, float]], primary: str,
                   comparison: Comparison | None) -> Decision:
    """The gate, then the champion compared on one footing (None: there is no champion)."""
    if comparison is None or (comparison.rows is None and not comparison.not_comparable):
        # no champion, or an identical footing where its recorded score stands: the plain decision
        return decide_promotion(metrics, gate, primary, comparison.champion_value if comparison else None)
    misses = check_gate(metrics, gate, primary)
    if misses:
        return Decision(False, False, tuple(misses))
    if comparison.not_comparable:
        return Decision(True, False, (f"not comparable with the champion: {comparison.not_comparable}; "
                                      "a person must promote it by hand",))
    value, champion = comparison.new_value, comparison.champion_value
    verb = "beats" if _better(value, champion, METRIC_DIRECTION[primary]) else "does not beat"
    return Decision(True, verb == "beats", (f"{primary} {value:.4f} {verb} the champion's {champion:.4f}, both "
                                            f"re-scored on {comparison.rows} test rows the champion never trained on",))
