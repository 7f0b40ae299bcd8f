"""The task catalogue as the CLI sees it: specs from pipelines/, numbers from params.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from coursework.config import read_params, task_names
from coursework.errors import UnknownTaskError
from coursework.params_schema import BASE_KEY, refuse, schema_problems
from coursework.spec import TaskSpec
from flows.params_check import code_problems
from pipelines import available, get_spec


def load(params_path: str | Path = "params.yaml") -> dict[str, Any]:
    """The params file, checked whole (the schema, and each task's code) before any data is read."""
    params = read_params(params_path)
    by_block = schema_problems(params)
    problems = [line for lines in by_block.values() for line in lines]
    partial = set(task_names(params)) if BASE_KEY in by_block else set(by_block)  # a bad base spoils every merge
    named = {line.split(":", 1)[0] for line in problems}
    problems += [line for line in code_problems(params, partial) if line.split(":", 1)[0] not in named]
    refuse(problems, str(params_path))
    return params


def tasks(params_path: str | Path = "params.yaml") -> list[str]:
    """Tasks that have both a params block and a pipeline package, in params.yaml order."""
    have = set(available())
    return [t for t in task_names(load(params_path)) if t in have]


def offline_tasks(params_path: str | Path = "params.yaml") -> list[str]:
    """Tasks whose default data ships with the project's packages: what `run --all` and `dvc repro` cover."""
    return [t for t in tasks(params_path) if get_spec(t).external_data is None]


def check_tasks(names: list[str], params_path: str | Path = "params.yaml") -> list[str]:
    known = tasks(params_path)
    for name in names:
        if name not in known:
            raise UnknownTaskError(f"unknown task '{name}'; known tasks: {', '.join(known)}")
    return names


def spec(task: str) -> TaskSpec:
    return get_spec(task)
