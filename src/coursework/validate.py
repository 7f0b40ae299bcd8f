"""validate: run a task's Great Expectations suite on a DataFrame batch and explain any failure."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, Iterable

import pandas as pd


@lru_cache(maxsize=1)
def _context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # keep the flow's log readable
    return context


def _batch(frame: pd.DataFrame, name: str):
    context = _context()
    source = context.data_sources.add_or_update_pandas(name="coursework")
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name=name)
    try:
        definition = asset.get_batch_definition("whole")
    except (KeyError, LookupError):
        definition = asset.add_batch_definition_whole_dataframe("whole")
    return definition.get_batch(batch_parameters={"dataframe": frame})


def _observed(result: Any) -> str:
    """The part of a GX result a person needs: what was seen instead of what was expected."""
    if result.exception_info and result.exception_info.get("raised_exception"):
        return f"could not be checked: {result.exception_info.get('exception_message')}"
    body = result.result or {}
    mismatched = (body.get("details") or {}).get("mismatched")
    if isinstance(mismatched, dict) and mismatched:
        return "; ".join(f"{k} columns {v}" for k, v in mismatched.items() if v)
    if isinstance(mismatched, list) and mismatched:  # ordered-list expectations report positions
        return "; ".join(f"position {m.get('Expected Column Position')}: expected {m.get('Expected')!r}, "
                         f"found {m.get('Found')!r}" for m in mismatched[:5])
    if "unexpected_count" in body:
        sample = body.get("partial_unexpected_list") or []
        return f"{body['unexpected_count']} unexpected value(s), e.g. {sample[:5]}"
    if "observed_value" in body:
        return f"observed {body['observed_value']}"
    return "failed"


def validate_frame(frame: pd.DataFrame, *, task: str, expectations: Iterable[Any]) -> dict[str, Any]:
    """Validate a batch; returns {'success', 'evaluated', 'failures': [{expectation, column, observed}]}."""
    import great_expectations as gx

    _context()  # GX 1.x builds suites only inside an active context
    suite = gx.ExpectationSuite(name=f"{task}_suite")
    for expectation in expectations:
        suite.add_expectation(expectation)
    result = _batch(frame, task).validate(suite, result_format="SUMMARY")
    failures = []
    missing = set()
    for item in result.results:
        config = item.expectation_config
        column = config.kwargs.get("column")
        if config.type == "expect_column_to_exist" and not item.success:
            missing.add(column)
    for item in result.results:
        if item.success:
            continue
        config = item.expectation_config
        column = config.kwargs.get("column")
        if column in missing and config.type != "expect_column_to_exist":
            continue  # already reported once as a missing column
        observed = "column not found" if config.type == "expect_column_to_exist" else _observed(item)
        failures.append({"expectation": config.type, "column": column, "observed": observed})
    failures.sort(key=lambda f: (f["column"] or "", f["expectation"]))
    return {"success": not failures, "evaluated": len(result.results), "failures": failures}
