"""The params checks that need a task's code: model arguments (scikit-learn's own constraints), source
options, feature options, gate metrics and the offline list. Run at the entry point (pipelines.load), after
the schema, before any data is read; the caller hands in the specs, so this module never imports pipelines."""

from __future__ import annotations

import inspect
import re
import typing
from typing import Any, Callable, Iterator, Mapping

from pydantic import TypeAdapter, ValidationError
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import InvalidParameterError

from coursework.config import TaskParams, task_names, task_params, thaw
from coursework.deep import KerasEstimator
from coursework.errors import ConfigError
from coursework.params_schema import GENERIC_FEATURES, OFFLINE_KEY
from coursework.problems import METRIC_DIRECTION
from coursework.spec import TaskSpec
from coursework.train import build_model

BUILD_INPUTS = ("input_shape", "n_outputs", "output_activation")  # a Keras builder's arguments the estimator fills


def code_problems(params: Mapping[str, Any], specs: Mapping[str, Callable[[], TaskSpec]],
                  partial: set[str] = frozenset()) -> list[str]:
    """Every task block against its task's code (`specs`: task -> its spec, imported when asked). Blocks in
    `partial` failed the schema: what can still be checked is, and a value refused there is not named twice."""
    problems = []
    for task in task_names(params):
        if task not in specs:
            problems.append(f"{task}: not a task (no pipelines/{task}/) and not a reserved key")
            continue
        try:
            problems += task_problems(specs[task](), task_params(params, task))
        except ConfigError as exc:
            problems.append(str(exc))
        except (ValueError, TypeError, KeyError, AttributeError):
            if task not in partial:
                raise
    return problems + offline_problems(params, specs)


def offline_problems(params: Mapping[str, Any], specs: Mapping[str, Callable[[], TaskSpec]]) -> list[str]:
    """offline_tasks may list only tasks whose default data ships with the project's packages."""
    listed = params.get(OFFLINE_KEY)
    named = [t for t in (listed if isinstance(listed, list) else []) if isinstance(t, str) and t in specs]
    return [f"{OFFLINE_KEY}.{t}: its data does not ship offline (needs {needs}); run it by name instead"
            for t in named if (needs := specs[t]().external_data)]


def task_problems(spec: TaskSpec, params: TaskParams) -> list[str]:
    task = spec.name
    problems = _call_problems(spec.load_default, thaw(params.source), f"{task}.source")
    problems += _feature_problems(spec, params.features)
    known = set(METRIC_DIRECTION) | set(spec.report_metrics)
    for bound, limits in params.gate.items():
        problems += [f"{task}.gate.{bound}.{m}: unknown metric; known: {', '.join(sorted(known))}"
                     for m in (limits or {}) if m not in known]
    for name, hp in params.models.items():
        if name not in spec.models:
            problems.append(f"{task}.models.{name}: not a model of this task; choose from {', '.join(spec.models)}")
        else:
            problems += estimator_problems(spec.models[name], thaw(hp), params.seed, f"{task}.models.{name}")
    return problems + _tune_problems(spec, params)


def _feature_problems(spec: TaskSpec, features: Mapping[str, Any]) -> list[str]:
    """A task's own features keys: known to its spec, each value of the type the spec gives it."""
    problems = []
    for key in sorted(set(features) - GENERIC_FEATURES):
        if key not in spec.feature_options:
            problems.append(f"{spec.name}.features.{key}: unknown key for this task")
            continue
        try:
            TypeAdapter(spec.feature_options[key]).validate_python(thaw(features[key]), strict=True)
        except ValidationError as exc:
            problems.append(f"{spec.name}.features.{key}: {exc.errors()[0]['msg']} (got {thaw(features[key])!r})")
    return problems


def _tune_problems(spec: TaskSpec, params: TaskParams) -> list[str]:
    """The tuned model is a candidate, and every end of every range is a value its estimator accepts."""
    tune, task = params.tune, spec.name
    if tune.n_trials == 0 and not tune.space and tune.model is None:
        return []
    target = tune.model or next(iter(params.models))
    if target not in params.models:
        return [f"{task}.tune.model: '{target}' is not one of the task's models ({', '.join(params.models)})"]
    if target not in spec.models:
        return []  # already named under models
    problems, where = [], f"{task}.tune.space"
    for name, space in thaw(tune.space).items():
        values = space["choices"] if space["type"] == "categorical" else [space["low"], space["high"]]
        for value in values:
            hp = {**thaw(params.models[target]), name: value}
            found = estimator_problems(spec.models[target], hp, params.seed, where)
            # the candidate's own values are reported under models: keep what this range adds
            problems += [p for p in found if p.startswith(f"{where}.{name}:") and p not in problems]
    return problems


def estimator_problems(factory: Callable[..., Any], hp: dict[str, Any], seed: int, where: str) -> list[str]:
    """Unknown arguments, then scikit-learn's parameter constraints of the built estimator and its parts."""
    problems = _call_problems(factory, hp, where)
    if problems:
        return problems
    try:
        estimator = build_model(factory, hp, seed=seed)
    except ConfigError as exc:
        return [f"{where}: {exc}"]
    for part in _parts(estimator):
        if isinstance(part, KerasEstimator) and part.build is not None:
            problems += _call_problems(part.build, dict(part.build_options or {}), where, skip=BUILD_INPUTS)
        try:
            part._validate_params()
        except InvalidParameterError as exc:
            match = re.search(r"The '(\w+)' parameter", str(exc))
            problems.append(f"{where}.{match.group(1) if match else '?'}: {exc}")
    return problems


def _parts(estimator: Any) -> Iterator[BaseEstimator]:
    """An estimator and the estimators inside it (a factory may return a Pipeline)."""
    if isinstance(estimator, Pipeline):
        for _, step in estimator.steps:
            yield from _parts(step)
    elif isinstance(estimator, BaseEstimator) and hasattr(estimator, "_validate_params"):
        yield estimator


def _call_problems(fn: Callable[..., Any], options: Mapping[str, Any], where: str, skip: tuple = ()) -> list[str]:
    """Keyword options a function does not take, or whose value does not fit its annotation."""
    try:
        accepted = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return []
    if any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
        return []  # forwards what it gets: its callee checks
    names = [n for n, p in accepted.items() if p.kind is not p.VAR_POSITIONAL and n not in skip]
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # an annotation that does not evaluate: check names only
        hints = {}
    problems = []
    for key, value in options.items():
        if key not in names:
            problems.append(f"{where}.{key}: unknown argument; {getattr(fn, '__name__', 'it')} takes {', '.join(names)}")
        elif key in hints:
            try:
                TypeAdapter(hints[key]).validate_python(value, strict=True)
            except ValidationError as exc:
                problems.append(f"{where}.{key}: {exc.errors()[0]['msg']} (got {value!r})")
    return problems
