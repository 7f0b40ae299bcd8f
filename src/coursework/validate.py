"""validate: run a task's Great Expectations suite on a DataFrame batch and explain any failure.

A batch whose bytes and suite both match a recorded pass is not validated again (GX is not even
imported): the stored report is returned. The key is the data's sha256 and the suite's identity (the
source of the package that defines the expectations, this module, ingest and the GX version), so a
changed suite or changed bytes re-validate, and a failing batch is always validated afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd

from coursework import fsutil

PASSED_DIR = Path(".coursework") / "validated"  # under the project root: {key, report} per task


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


def _package_dir(function: Callable) -> Path:
    """The top-level package folder of the module that defines `function` (pipelines/ for a task's suite)."""
    name = function.__module__.split(".")[0]
    module = sys.modules[name]
    return Path(module.__file__).parent if getattr(module, "__path__", None) else Path(module.__file__)


def suite_identity(expectations: Callable[[], list]) -> str:
    """sha256 of everything that decides a suite and its verdict, read from source: no GX import."""
    digest = hashlib.sha256(f"{expectations.__module__}:{expectations.__qualname__}".encode())
    digest.update(metadata.version("great_expectations").encode())
    package = _package_dir(expectations)
    files = sorted(package.rglob("*.py")) if package.is_dir() else [package]
    from coursework import ingest

    for path in [*files, Path(__file__), Path(ingest.__file__)]:  # the suite, its verdict, the frame it sees
        digest.update(str(path.relative_to(path.parent.parent)).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _key(data_hash: str, expectations: Callable[[], list]) -> str:
    return hashlib.sha256(f"{data_hash}:{suite_identity(expectations)}".encode()).hexdigest()


def recorded_pass(root: Path, task: str, data_hash: str, expectations: Callable[[], list]) -> dict | None:
    """The stored report of an earlier pass on these bytes with this suite, or None."""
    path = Path(root) / PASSED_DIR / f"{task}.json"
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    fresh = isinstance(stored, dict) and stored.get("key") == _key(data_hash, expectations)
    report = stored.get("report") if fresh else None
    return report if isinstance(report, dict) and report.get("success") is True else None


def validate_once(frame: pd.DataFrame, *, root: Path, task: str, data_hash: str,
                  expectations: Callable[[], list]) -> tuple[dict[str, Any], bool]:
    """(report, reused): a recorded pass for the same bytes and suite, else a fresh validation (a pass is recorded)."""
    report = recorded_pass(root, task, data_hash, expectations)
    if report is not None:
        return report, True
    report = validate_frame(frame, task=task, expectations=expectations())
    if report["success"]:
        record = {"task": task, "data_hash": data_hash, "key": _key(data_hash, expectations), "report": report}
        fsutil.atomic_write_text(Path(root) / PASSED_DIR / f"{task}.json", json.dumps(record, indent=2) + "\n")
    return report, False
