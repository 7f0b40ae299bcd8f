"""config: the base block merges into each task, missing keys are errors, the params hash is stable."""

import copy

import pytest
import yaml

from coursework.config import load_params, task_names, task_params, thaw
from coursework.errors import ConfigError, UnknownTaskError

PARAMS = {
    "base": {"seed": 7, "split": {"test_size": 0.2, "stratify": True}},
    "alpha": {
        "split": {"test_size": 0.3},
        "features": {"scaler": "standard"},
        "models": {"knn": {"n_neighbors": 3}, "tree": None},
        "tune": {"n_trials": 4, "model": "knn", "space": {"n_neighbors": {"type": "int", "low": 1, "high": 9}}},
        "gate": {"min": {"accuracy": 0.9}},
    },
    "beta": {"seed": 1, "split": {"random_state": 5}, "models": {"lr": {}}, "gate": {"max": {"rmse": 2}}},
}


def test_base_block_merges_into_the_task():
    p = task_params(PARAMS, "alpha")
    assert p.name == "alpha"
    assert p.seed == 7  # from base
    assert p.split.test_size == 0.3  # task overrides base inside the nested split block
    assert p.split.stratify is True  # ... and keeps the base keys it does not override
    assert p.split.random_state == 7  # defaults to the seed
    assert p.features["scaler"] == "standard"
    assert thaw(p.models) == {"knn": {"n_neighbors": 3}, "tree": {}}
    assert p.tune.n_trials == 4 and p.tune.model == "knn" and p.tune.cv_folds == 3
    assert thaw(p.gate) == {"min": {"accuracy": 0.9}}


def test_task_values_override_base():
    p = task_params(PARAMS, "beta")
    assert p.seed == 1
    assert p.split.random_state == 5
    assert p.split.test_size == 0.2 and p.split.stratify is True
    assert p.tune.n_trials == 0  # no tune block: no tuning


def test_params_are_frozen():
    p = task_params(PARAMS, "alpha")
    with pytest.raises(TypeError):
        p.models["knn"]["n_neighbors"] = 5
    with pytest.raises(AttributeError):
        p.seed = 3


def _without(task: str, *path: str) -> dict:
    params = copy.deepcopy(PARAMS)
    block = params[task] if task else params
    for key in path[:-1]:
        block = block[key]
    del block[path[-1]]
    return params


@pytest.mark.parametrize(
    "params, missing",
    [
        (_without("alpha", "models"), "models"),
        (_without("alpha", "gate"), "gate"),
        ({**_without("", "base", "split", "test_size"), "alpha": {**PARAMS["alpha"], "split": {}}}, "test_size"),
        (_without("", "base", "seed"), "seed"),
        ({**PARAMS, "alpha": {**PARAMS["alpha"], "models": {}}}, "models"),
        ({**PARAMS, "alpha": {**PARAMS["alpha"], "models": ["knn"]}}, "models"),
    ],
)
def test_missing_or_malformed_keys_raise_config_error(params, missing):
    with pytest.raises(ConfigError, match=missing) as info:
        task_params(params, "alpha")
    assert "alpha" in str(info.value)


@pytest.mark.parametrize("task", ["gamma", "base", ""])
def test_unknown_task_names_known_ones(task):
    with pytest.raises(UnknownTaskError) as info:
        task_params(PARAMS, task)
    assert "alpha" in str(info.value) and "beta" in str(info.value)


def test_task_names_skip_base():
    assert task_names(PARAMS) == ["alpha", "beta"]


def _reordered(value):
    if isinstance(value, dict):
        return {k: _reordered(value[k]) for k in reversed(list(value))}
    return value


def test_params_hash_is_stable_across_key_order():
    assert task_params(PARAMS, "alpha").params_hash == task_params(_reordered(PARAMS), "alpha").params_hash
    assert task_params(PARAMS, "alpha").params_hash == task_params(copy.deepcopy(PARAMS), "alpha").params_hash


@pytest.mark.parametrize(
    "edit",
    [
        lambda p: p["alpha"]["models"]["knn"].update(n_neighbors=5),
        lambda p: p["alpha"]["gate"]["min"].update(accuracy=0.91),
        lambda p: p["base"].update(seed=8),  # a base value is part of every task's params
        lambda p: p["alpha"]["split"].update(test_size=0.25),
    ],
)
def test_params_hash_changes_with_a_value(edit):
    changed = copy.deepcopy(PARAMS)
    edit(changed)
    assert task_params(changed, "alpha").params_hash != task_params(PARAMS, "alpha").params_hash


def test_params_hash_ignores_other_tasks():
    changed = copy.deepcopy(PARAMS)
    changed["beta"]["seed"] = 99
    assert task_params(changed, "alpha").params_hash == task_params(PARAMS, "alpha").params_hash


def test_load_params_reads_yaml(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(PARAMS))
    assert load_params(path) == PARAMS


@pytest.mark.parametrize("content, words", [(None, "not found"), ("- a\n- b\n", "mapping")])
def test_load_params_errors(tmp_path, content, words):
    path = tmp_path / "params.yaml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=words):
        load_params(path)
