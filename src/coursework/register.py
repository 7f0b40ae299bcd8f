"""register: the gate that decides whether a new model version becomes the task's champion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from coursework.spec import METRIC_DIRECTION


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
