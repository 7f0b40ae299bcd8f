"""params.yaml, read once at the entry point into frozen per-task objects."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import yaml

from coursework.errors import ConfigError, UnknownTaskError
from coursework.params_schema import BASE_KEY, RESERVED_KEYS, check_file


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Plain dicts and lists again, for estimators and JSON."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class SplitParams:
    test_size: float
    random_state: int
    stratify: bool
    shuffle: bool = True  # false: the last rows are the test split (time series, stock_lstm)


@dataclass(frozen=True)
class TuneParams:
    n_trials: int = 0
    model: str | None = None
    cv_folds: int = 3
    space: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    timeout: float | None = None
    sampler: str = "tpe"
    pruner: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({"type": "median"}))


@dataclass(frozen=True)
class TaskParams:
    """Every number one task reads, with the base block merged in."""

    name: str
    seed: int
    split: SplitParams
    source: Mapping[str, Any]
    features: Mapping[str, Any]
    models: Mapping[str, Mapping[str, Any]]
    tune: TuneParams
    gate: Mapping[str, Mapping[str, float]]
    raw: Mapping[str, Any]

    @property
    def params_hash(self) -> str:
        """sha256 of the task's merged params, stable across key order."""
        blob = json.dumps(thaw(self.raw), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def load_params(path: str | Path = "params.yaml") -> dict[str, Any]:
    """The whole params file, checked against the schema before anyone reads a value from it."""
    data = read_params(path)
    check_file(data, path=str(path))
    return data


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser, the same safe constructor: 5x faster


def read_params(path: str | Path) -> dict[str, Any]:
    """The params file as YAML, unchecked: for a caller that runs the schema itself (pipelines.load)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"params file not found: {path}")
    try:
        with path.open() as fh:
            data = yaml.load(fh, Loader=_LOADER) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of task blocks at the top level")
    return data


def task_names(params: Mapping[str, Any]) -> list[str]:
    """The task blocks: every top-level key but the reserved ones (base, schedule, notify, retries)."""
    return [k for k in params if k not in RESERVED_KEYS]


def task_params(params: Mapping[str, Any], task: str) -> TaskParams:
    """Merge the base block into one task's block and freeze it."""
    if task not in params or task in RESERVED_KEYS:
        known = ", ".join(task_names(params))
        raise UnknownTaskError(f"unknown task '{task}'; known tasks: {known}")
    base = dict(params.get(BASE_KEY) or {})
    block = dict(params[task] or {})
    merged = {**base, **block}
    split = {**(base.get("split") or {}), **(block.get("split") or {})}
    try:
        split_params = SplitParams(
            test_size=float(split["test_size"]),
            random_state=int(split.get("random_state", merged["seed"])),
            stratify=bool(split.get("stratify", False)),
            shuffle=bool(split.get("shuffle", True)),
        )
        tune = dict(block.get("tune") or {})
        tune_params = TuneParams(
            n_trials=int(tune.get("n_trials", 0)),
            model=tune.get("model"),
            cv_folds=int(tune.get("cv_folds", 3)),
            space=_freeze(tune.get("space") or {}),
            timeout=None if tune.get("timeout") is None else float(tune["timeout"]),
            sampler=str(tune.get("sampler", "tpe")),
            pruner=_freeze(tune.get("pruner") or {"type": "median"}),
        )
        models = block["models"]
        gate = block["gate"]
    except KeyError as exc:
        raise ConfigError(f"params.yaml: task '{task}' is missing key {exc}") from None
    if not isinstance(models, Mapping) or not models:
        raise ConfigError(f"params.yaml: task '{task}': 'models' must map candidate names to params")
    merged["split"] = split
    return TaskParams(
        name=task,
        seed=int(merged["seed"]),
        split=split_params,
        source=_freeze(block.get("source") or {}),
        features=_freeze(block.get("features") or {}),
        models=_freeze({k: (v or {}) for k, v in models.items()}),
        tune=tune_params,
        gate=_freeze(gate),
        raw=_freeze(merged),
    )
