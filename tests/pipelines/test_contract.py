"""One contract over every task in params.yaml: a spec, expectations its own data passes, a metric, a gate."""

import pytest

from coursework.config import load_params, task_names, task_params, thaw
from coursework.errors import SourceError
from coursework.features import build_features
from coursework.problems import METRIC_DIRECTION, PROBLEMS
from coursework.spec import TaskSpec
from coursework.validate import validate_frame
from pipelines import get_spec
from tests.support import PARAMS

ALL_PARAMS = load_params(PARAMS)
TASKS = task_names(ALL_PARAMS)  # every block, so a block without a package fails here instead of vanishing
BINARY_ONLY = {"f1", "roc_auc"}
TUNE_TYPES = {"int", "float", "categorical"}


@pytest.mark.parametrize("task", TASKS)
def test_task_contract(task):
    spec = get_spec(task)
    params = task_params(ALL_PARAMS, task)
    assert isinstance(spec, TaskSpec) and spec.name == task

    # a primary metric the gate and the champion comparison can use, one its problem type reports (and ranks)
    assert spec.problem in PROBLEMS, f"{task}: unknown problem type {spec.problem}"
    assert spec.primary_metric in spec.family.directions, f"{task}: {spec.primary_metric} is not a {spec.problem} metric"
    assert not set(spec.report_metrics) & set(METRIC_DIRECTION), f"{task}: a report metric shadows a family metric"

    # a gate with at least one threshold (an empty gate fails by default, so it would never promote)
    bounds = {**(params.gate.get("min") or {}), **(params.gate.get("max") or {})}
    assert bounds, f"{task}: the gate sets no threshold"
    assert set(params.gate) <= {"min", "max"}, f"{task}: gate keys {sorted(params.gate)}"
    assert all(isinstance(v, (int, float)) for v in bounds.values()), f"{task}: non-numeric gate bound"

    # every model named in params.yaml is one the spec can build; tuning targets one of them
    assert set(params.models) <= set(spec.models), f"{task}: {set(params.models) - set(spec.models)} not in the spec"
    if params.tune.n_trials > 0:
        assert (params.tune.model or next(iter(params.models))) in params.models
        assert params.tune.space, f"{task}: tune.n_trials > 0 with an empty search space"
        assert {s.get("type") for s in params.tune.space.values()} <= TUNE_TYPES

    # expectations next to the task, and the task's own default data passes them
    expectations = spec.expectations() if spec.expectations else []
    assert len(expectations) > 0, f"{task}: no expectations"
    try:
        frame = spec.load_default(**thaw(params.source))
    except SourceError as exc:  # no offline data: the task must say so, and say what to provide
        assert spec.external_data, f"{task}: default data failed to load: {exc}"
        assert len(str(exc)) > 20
        return
    report = validate_frame(frame, task=task, expectations=expectations)
    assert report["success"], f"{task}: default data fails its own suite: {report['failures']}"

    # the signature: the model's inputs and the label are in the data, never the label as an input
    label = spec.target or spec.label_column
    assert set(spec.input_columns) <= set(frame.columns), f"{task}: {set(spec.input_columns) - set(frame.columns)}"
    assert label not in spec.input_columns
    if spec.problem not in ("clustering", "reconstruction"):
        assert spec.target in frame.columns
    if spec.primary_metric in BINARY_ONLY:
        assert frame[spec.target].nunique() == 2, f"{task}: {spec.primary_metric} needs a binary target"

    # the feature options in params.yaml build
    steps = spec.feature_steps(params.features) if spec.feature_steps else None
    build_features(numeric=spec.numeric, categorical=spec.categorical, options=params.features, task_steps=steps)
