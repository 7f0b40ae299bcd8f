"""One package per course task; each exposes SPEC (a coursework.spec.TaskSpec)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from coursework.errors import UnknownTaskError
from coursework.spec import TaskSpec


def available() -> list[str]:
    """Task ids that have a package here (`_shared` and other `_` folders hold code several tasks use)."""
    return sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.ispkg and not m.name.startswith("_"))


def get_spec(task: str) -> TaskSpec:
    if task not in available():
        raise UnknownTaskError(f"unknown task '{task}'; known tasks: {', '.join(available())}")
    return importlib.import_module(f"pipelines.{task}").SPEC
