"""The task catalogue: one package per course task (each exposes SPEC, a coursework.spec.TaskSpec), and the
params file checked against them. Callers (the CLI, flows, tests) ask here; src/coursework never does."""

from __future__ import annotations

import importlib
import pkgutil
from functools import partial
from pathlib import Path
from typing import Any

from coursework.config import read_params, task_names
from coursework.errors import UnknownTaskError
from coursework.params_schema import BASE_KEY, OFFLINE_KEY, refuse, schema_problems
from coursework.spec import TaskSpec


def available() -> list[str]:
    """Task ids that have a package here (`_shared` and other `_` folders hold code several tasks use)."""
    return sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.ispkg and not m.name.startswith("_"))


def get_spec(task: str) -> TaskSpec:
    if task not in available():
        raise UnknownTaskError(f"unknown task '{task}'; known tasks: {', '.join(available())}")
    return importlib.import_module(f"pipelines.{task}").SPEC


spec = get_spec  # the name callers of the catalogue use


def load(params_path: str | Path = "params.yaml") -> dict[str, Any]:
    """The params file, checked whole (the schema, and each task's code) before any data is read."""
    from coursework.params_code import code_problems  # here: importing one task package stays light

    params = read_params(params_path)
    by_block = schema_problems(params)
    problems = [line for lines in by_block.values() for line in lines]
    partial_blocks = set(task_names(params)) if BASE_KEY in by_block else set(by_block)  # a bad base spoils every merge
    named = {line.split(":", 1)[0] for line in problems}
    specs = {task: partial(get_spec, task) for task in available()}  # imported only for the blocks present
    problems += [line for line in code_problems(params, specs, partial_blocks) if line.split(":", 1)[0] not in named]
    refuse(problems, str(params_path))
    return params


def tasks(params_path: str | Path = "params.yaml") -> list[str]:
    """Tasks that have both a params block and a pipeline package, in params.yaml order."""
    have = set(available())
    return [t for t in task_names(load(params_path)) if t in have]


def offline_tasks(params_path: str | Path = "params.yaml") -> list[str]:
    """What `run --all` and `dvc repro` cover: params.yaml's `offline_tasks` list (checked to ship its data
    offline), or, in a params file without one, every task whose default data ships offline."""
    params = load(params_path)
    if params.get(OFFLINE_KEY):
        return list(params[OFFLINE_KEY])
    have = set(available())
    return [t for t in task_names(params) if t in have and get_spec(t).external_data is None]


def check_tasks(names: list[str], params_path: str | Path = "params.yaml") -> list[str]:
    known = tasks(params_path)
    for name in names:
        if name not in known:
            raise UnknownTaskError(f"unknown task '{name}'; known tasks: {', '.join(known)}")
    return names
