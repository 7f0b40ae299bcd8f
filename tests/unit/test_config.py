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


# ---------------------------------------------------------------- the whole file against the schema and each task's code

def _edit(path: str, value) -> "callable":
    """An edit of the real params.yaml: set the dotted key path to value (None deletes nothing: it sets null)."""
    def apply(params: dict) -> dict:
        *parents, last = path.split(".")
        block = params
        for key in parents:
            block = block.setdefault(key, {})
        block[last] = value
        return params
    return apply


BAD_PARAMS = [
    # (edit, key path the error names, words of the reason)
    (_edit("iris_knn.split.test_sise", 0.3), "iris_knn.split.test_sise", "unknown key"),
    (_edit("iris_knn.gate.mni", {"accuracy": 0.9}), "iris_knn.gate.mni", "unknown key"),
    (_edit("titanic_ensemble.tune.space.subsample.lo", 0.1), "titanic_ensemble.tune.space.subsample.lo", "unknown key"),
    (_edit("base.split.tset_size", 0.2), "base.split.tset_size", "unknown key"),
    (_edit("iris_knn.split.test_size", "forty"), "iris_knn.split.test_size", "valid number"),
    (_edit("iris_knn.split.test_size", 1.5), "iris_knn.split.test_size", "less than 1"),
    (_edit("iris_knn.split.test_size", 0), "iris_knn.split.test_size", "greater than 0"),
    (_edit("iris_knn.split.stratify", "yes"), "iris_knn.split.stratify", "valid boolean"),
    (_edit("base.seed", -1), "base.seed", "greater than or equal to 0"),
    (_edit("iris_knn.features.scaler", "zscore"), "iris_knn.features.scaler", "'standard'"),
    (_edit("iris_knn.features.fare_bins", 3), "iris_knn.features.fare_bins", "unknown key for this task"),
    (_edit("iris_knn.models", {}), "iris_knn.models", "at least 1"),
    (_edit("iris_knn.models.knn.n_neighbors", "three"), "iris_knn.models.knn.n_neighbors", "must be an int"),
    (_edit("iris_knn.models.knn.n_neighbors", -3), "iris_knn.models.knn.n_neighbors", "range [1, inf)"),
    (_edit("iris_knn.models.knn.n_neighbours", 3), "iris_knn.models.knn.n_neighbours", "unknown argument"),
    (_edit("iris_knn.models.svm", {}), "iris_knn.models.svm", "not a model of this task"),
    (_edit("pca_logistic.models.pca_logistic.n_components", -2), "pca_logistic.models.pca_logistic.n_components",
     "parameter of PCA"),
    (_edit("boston_dense.models.dense.epochs", 0), "boston_dense.models.dense.epochs", "range [1, inf)"),
    (_edit("boston_dense.models.dense.hiden", [8]), "boston_dense.models.dense.hiden", "dense_network takes hidden"),
    (_edit("linear_synthetic.source.n_sample", 30), "linear_synthetic.source.n_sample", "unknown argument"),
    (_edit("blobs_kmeans.source.centers", "four"), "blobs_kmeans.source.centers", "valid integer"),
    (_edit("iris_knn.gate.min.acuracy", 0.9), "iris_knn.gate.min.acuracy", "unknown metric"),
    (_edit("iris_knn.gate.min.accuracy", "high"), "iris_knn.gate.min.accuracy", "valid number"),
    (_edit("blobs_kmeans.tune.model", "kmean"), "blobs_kmeans.tune.model", "not one of the task's models"),
    (_edit("blobs_kmeans.tune.cv_folds", 1), "blobs_kmeans.tune.cv_folds", "greater than or equal to 2"),
    (_edit("blobs_kmeans.tune.space.n_clusters", {"type": "int", "low": 9, "high": 2}), "blobs_kmeans.tune.space.n_clusters",
     "must be below high"),
    (_edit("blobs_kmeans.tune.space.n_clusters", {"type": "int", "low": 0, "high": 4}),
     "blobs_kmeans.tune.space.n_clusters", "range [1, inf)"),
    (_edit("titanic_ensemble.tune.space.max_dpth", {"type": "int", "low": 1, "high": 3}),
     "titanic_ensemble.tune.space.max_dpth", "unknown argument"),
    (_edit("titanic_ensemble.tune.space.loss", {"type": "grid", "choices": [1]}), "titanic_ensemble.tune.space.loss",
     "'int', 'float', 'categorical'"),
    (_edit("iris_knnn", {"models": {"knn": {}}, "gate": {"min": {"accuracy": 0.9}}}), "iris_knnn", "not a task"),
    (_edit("notify", 5), "notify", "valid dictionary"),
    (_edit("titanic_ensemble.features.fare_bins", 0), "titanic_ensemble.features.fare_bins", "greater than or equal to 1"),
    (_edit("titanic_ensemble.features.age_edges", [12.0]), "titanic_ensemble.features.age_edges", "at least 4"),
    (_edit("offline_tasks", ["iris_knn", "cifar10_cnn"]), "offline_tasks.cifar10_cnn", "does not ship offline"),
    (_edit("offline_tasks", ["iris_knn", "iris_knnn"]), "offline_tasks.iris_knnn", "not a task of this file"),
    (_edit("offline_tasks", ["iris_knn", "iris_knn"]), "offline_tasks.iris_knn", "listed twice"),
    (_edit("offline_tasks", "iris_knn"), "offline_tasks", "valid list"),
]


@pytest.fixture(scope="module")
def real_params():
    from tests.support import PARAMS as REAL

    return yaml.safe_load(REAL.read_text())


@pytest.mark.parametrize("edit, where, reason", BAD_PARAMS, ids=[case[1] for case in BAD_PARAMS])
def test_bad_params_name_the_key_path_and_the_reason(tmp_path, real_params, edit, where, reason):
    import pipelines as catalog

    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(edit(copy.deepcopy(real_params)), sort_keys=False))
    with pytest.raises(ConfigError) as info:
        catalog.load(path)
    line = next((ln for ln in str(info.value).splitlines() if f"- {where}:" in ln), None)
    assert line is not None, str(info.value)
    assert reason in line, line
    assert info.value.exit_code == 2


def test_the_project_params_pass(real_params, tmp_path):
    import pipelines as catalog
    from tests.support import PARAMS as REAL

    assert catalog.load(REAL) == real_params


def test_reserved_keys_are_never_tasks(tmp_path, real_params):
    import pipelines as catalog

    notify = {"webhooks": [{"env": "COURSEWORK_WEBHOOK_URL", "events": ["gate_missed"]}]}
    params = {**real_params, "schedule": {"cron": "0 3 * * *"}, "notify": notify, "retries": 2}
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    assert not {"schedule", "notify", "retries", "base", "offline_tasks"} & set(catalog.tasks(path))
    for key in ("schedule", "notify", "retries"):
        with pytest.raises(UnknownTaskError):
            task_params(params, key)


def test_yaml_that_does_not_parse(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("iris_knn: {split: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_params(path)


def test_schema_and_code_problems_are_reported_together(tmp_path, real_params):
    import pipelines as catalog

    params = copy.deepcopy(real_params)
    params["iris_knn"]["split"]["test_sise"] = 0.1
    params["iris_knn"]["models"]["knn"]["n_neighbors"] = "three"
    params["iris_tree"]["gate"]["min"]["acuracy"] = "high"  # named once, by the schema
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    with pytest.raises(ConfigError) as info:
        catalog.load(path)
    lines = str(info.value).splitlines()[1:]
    assert [ln.split(":")[0].strip("- ") for ln in lines] == [
        "iris_knn.split.test_sise", "iris_tree.gate.min.acuracy", "iris_knn.models.knn.n_neighbors"]


def test_offline_tasks_follow_the_params_list_and_its_order(tmp_path, real_params):
    import pipelines as catalog

    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump({**real_params, "offline_tasks": ["stock_lstm", "iris_knn"]}, sort_keys=False))
    assert catalog.offline_tasks(path) == ["stock_lstm", "iris_knn"]
    # a params file without the list (a user's --params): every task whose data ships offline, in file order
    path.write_text(yaml.safe_dump({k: v for k, v in real_params.items() if k != "offline_tasks"}, sort_keys=False))
    derived = catalog.offline_tasks(path)
    assert "iris_knn" in derived and not {"cifar10_cnn", "flowers_transfer", "malware_dense"} & set(derived)
    # the project's list leaves out no task that could run offline (a new task must be added to it)
    assert real_params["offline_tasks"] == derived
