"""The shape of params.yaml, checked whole before data is read: every key known, every value typed.

The block models live in params_tasks (a task's block) and params_ops (schedule, retries, notify); this
module maps each top-level key to its model and turns pydantic's errors into one line per key path.
"""

from __future__ import annotations

from typing import Annotated, Any, Mapping

from pydantic import Field, TypeAdapter, ValidationError

from coursework.errors import ConfigError
from coursework.params_ops import NOTIFY_EVENTS, Notify, Retries, Schedule  # noqa: F401 - re-exported
from coursework.params_tasks import GENERIC_FEATURES, PRUNER_TAGS, Base, Task  # noqa: F401 - re-exported

BASE_KEY = "base"
OFFLINE_KEY = "offline_tasks"
# top-level keys that are never tasks: the operations settings, the shared base block and the offline list
RESERVED_KEYS = frozenset({BASE_KEY, "schedule", "notify", "retries", OFFLINE_KEY})
# which tasks `run --all` and `dvc repro` cover (dvc.yaml's foreach reads it): task names, each once
OfflineTasks = Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]

SCHEMAS: Mapping[str, TypeAdapter] = {
    BASE_KEY: TypeAdapter(Base),
    "schedule": TypeAdapter(Schedule),
    "notify": TypeAdapter(Notify),
    "retries": TypeAdapter(Retries),
    OFFLINE_KEY: TypeAdapter(OfflineTasks),
}
TASK = TypeAdapter(Task)


def _where(loc: tuple) -> str:
    # a tagged union adds the tag ('float') to the path; the user wrote no such key
    tags = ("int", "float", "categorical", "constrained-int", "literal['auto']", *PRUNER_TAGS)
    return ".".join(str(p) for p in loc if p not in tags and not str(p).startswith("function-after["))


def describe(exc: ValidationError, prefix: str) -> list[str]:
    """One line per problem: the key path in the file and what is wrong with it."""
    lines = []
    for error in exc.errors():
        where = _where((prefix, *error["loc"]))
        if error["type"] == "extra_forbidden":
            lines.append(f"{where}: unknown key")
        elif error["type"] == "missing":
            lines.append(f"{where}: required key is missing")
        elif prefix == "notify":  # what was written there may be a webhook URL: never echoed
            lines.append(f"{where}: {error['msg']}")
        else:
            lines.append(f"{where}: {error['msg']} (got {error.get('input')!r})")
    return lines


def schema_problems(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every top-level block of a params file against its schema: {block: [key path: reason, ...]}."""
    problems: dict[str, list[str]] = {}
    for key, block in data.items():
        if block is None and key in RESERVED_KEYS:
            continue
        try:
            SCHEMAS.get(key, TASK).validate_python(block)
        except ValidationError as exc:
            problems[str(key)] = describe(exc, str(key))
    if "schedule" not in problems and (unknown := _unscheduled_names(data)):
        problems["schedule"] = unknown
    if OFFLINE_KEY not in problems and (unknown := _unknown_offline(data)):
        problems[OFFLINE_KEY] = unknown
    return problems


def _unknown_offline(data: Mapping[str, Any]) -> list[str]:
    """offline_tasks entries that name no task block of this file, or one task twice."""
    names = data.get(OFFLINE_KEY) or []
    lines = [f"{OFFLINE_KEY}.{name}: not a task of this file" for name in names
             if name not in data or name in RESERVED_KEYS]
    return lines + [f"{OFFLINE_KEY}.{name}: listed twice" for name in sorted(set(names)) if names.count(name) > 1]


def _unscheduled_names(data: Mapping[str, Any]) -> list[str]:
    """schedule.tasks entries that name no task block of this file."""
    scheduled = ((data.get("schedule") or {}).get("tasks") or {})
    return [f"schedule.tasks.{name}: not a task of this file" for name in scheduled
            if name not in data or name in RESERVED_KEYS]


def refuse(problems: list[str], path: str) -> None:
    """One ConfigError listing every problem of the file, if there is any."""
    if problems:
        raise ConfigError(f"{path} is not valid:\n" + "\n".join(f"  - {p}" for p in problems))


def check_file(data: Mapping[str, Any], *, path: str = "params.yaml") -> None:
    """The whole file against the schema; ConfigError names each key path at fault and why."""
    refuse([line for lines in schema_problems(data).values() for line in lines], path)
