"""champion: the decision that moves a task's `champion` alias, atomic per task and on one footing.

A version records what its test score stands on (split, test rows, evaluation code, input schema) and
the rows it trained on. When a new run's footing differs, the champion is re-scored on the new test rows
it never trained on, beside the new model, and the two numbers decide (TFX's evaluator does the same
with its baseline model).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from coursework import evaluate, locks, problems, promotion, register, tracking
from coursework.config import TaskParams, thaw
from coursework.features import Split
from coursework.lineage import Lineage
from coursework.problems import Problem
from coursework.register import Comparison, Decision, Footing
from coursework.spec import TaskSpec

TRAIN_ROWS = "lineage/train_rows.json"  # one sha256 per training row, so a later run can leave them out


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def row_hashes(X: pd.DataFrame, y: pd.Series | None) -> list[str]:
    """sha256 of each row over its features and target (columns in name order), so equal rows match."""
    frame = X.reindex(columns=sorted(X.columns))
    if y is not None:
        frame["\x00target"] = np.asarray(y)  # by position: a target whose index differs still pairs up
    frame = frame.astype(str).fillna("<missing>")  # pandas 3 keeps a missing value missing through astype(str)
    joined = frame.iloc[:, 0].str.cat(frame.iloc[:, 1:], sep="\x1f") if frame.shape[1] > 1 else frame.iloc[:, 0]
    return [_sha(row) for row in joined]


def feature_schema(X: pd.DataFrame) -> list[list[str]]:
    return [[str(column), str(dtype)] for column, dtype in X.dtypes.items()]


def _evaluation_code() -> str:
    """The code a test score depends on: the metric functions and the families that pick them."""
    return "".join(Path(module.__file__).read_text() for module in (evaluate, problems))


def measure(options: Mapping[str, Any], split: Split) -> tuple[Footing, list[str], list[str]]:
    """The run's footing (options: the split params), with the row hashes of its training and test rows."""
    train_rows, test_rows = row_hashes(split.X_train, split.y_train), row_hashes(split.X_test, split.y_test)
    footing = Footing(
        split=_sha(json.dumps(options, sort_keys=True, default=str))[:16],
        test_rows=_sha("\n".join(sorted(test_rows)))[:16],
        evaluation=_sha(_evaluation_code())[:16],
        schema=_sha(json.dumps(feature_schema(split.X_train)))[:16],
    )
    return footing, train_rows, test_rows


def compare(task: str, problem: Problem, primary: str, champion: Mapping[str, Any] | None, footing: Footing,
            model, split: Split, test_rows: list[str]) -> Comparison | None:
    """The champion against the new model: its recorded score on the same footing, else both re-scored."""
    if champion is None:
        return None
    plan, why = register.plan_comparison(footing, Footing.from_tags(champion["tags"]))
    if plan == "direct":
        return Comparison(champion_value=champion["metrics"].get(primary), why=why)
    if plan == "not comparable":
        return Comparison(not_comparable=why, why=why)
    trained = tracking.load_run_dict(champion["run_id"], TRAIN_ROWS)
    if trained is None:
        return Comparison(not_comparable=f"{why}, and the champion recorded no training rows", why=why)
    keep = register.unseen_rows(test_rows, set(trained["rows"]))
    X, y = split.X_test[keep], (split.y_test[keep] if split.y_test is not None else None)
    if sum(keep) < register.MIN_COMPARABLE_ROWS:
        return register.rescored(float("nan"), float("nan"), sum(keep), why)
    try:
        champion_model = tracking.load_alias_estimator(task)
        values = [problem.score(m, X, y)[primary] for m in (model, champion_model)]
    except (KeyError, ValueError) as exc:  # a metric only the task's report computes; one class left for ROC-AUC
        return Comparison(not_comparable=f"{why}, and {primary} cannot be re-scored on the shared rows ({exc})", why=why)
    return register.rescored(*values, sum(keep), why)


def register_decided(spec: TaskSpec, params: TaskParams, metrics: Mapping[str, float], model, model_uri: str,
                     split: Split, lineage: Lineage, *, root: Path,
                     say: Callable[[str], None] | None = None) -> tuple[int, Decision, int | None]:
    """Register a new version and give it its alias, deciding under the task's champion lock.

    Reading the champion, comparing, registering and moving the alias happen while the lock is held,
    so two overlapping runs never both promote and the better model ends as champion.
    """
    footing, train_rows, test_rows = measure(thaw(params.raw["split"]), split)
    tracking.log_dict({"rows": train_rows}, TRAIN_ROWS)
    uri = tracking.current_uri()
    with locks.champion_lock(spec.name, uri, fallback_dir=root / tracking.STORE_DIR, say=say):
        champion = tracking.alias_version(spec.name)
        comparison = compare(spec.name, spec.family, spec.primary_metric, champion, footing, model, split, test_rows)
        decision = register.decide_against(metrics, params.gate, spec.primary_metric, comparison)
        tags = {**lineage.tags(), **footing.tags(), **(comparison.tags(spec.primary_metric) if comparison else {}),
                "passed_gate": decision.passed_gate, "decision": "; ".join(decision.reasons)}
        # crash-ordered: every tag in the create call, then the completion mark, then the alias (between its
        # audit record written pending and marked done: promotion.move_alias) as the last act
        version = tracking.register_version(model_uri, spec.name, tags)
        tracking.complete_version(spec.name, version)
        promotion.move_alias(spec.name, decision.alias, version, kind="gate", action="gate",
                             reason="; ".join(decision.reasons))  # recorded in the audit trail
    return version, decision, (int(champion["version"]) if champion else None)  # the champion it was decided against


def outcome(version: int, decision: Decision, previous: int | None) -> dict[str, Any]:
    """The registry decision as a run reports it: its result, `--json`, the alerts."""
    return {"version": version, "alias": decision.alias, "passed_gate": decision.passed_gate,
            "promoted": decision.promote, "reasons": list(decision.reasons), "previous_champion": previous}
