"""The study's pieces in process: names, storage, the tune block's schema, the tuned file, choose_model's overlay."""

from __future__ import annotations

import optuna
import pytest

from coursework import study, tuned
from coursework.config import TuneParams
from coursework.errors import ConfigError, OutputError
from coursework.params_schema import check_file

SPACE = {"n_neighbors": {"type": "int", "low": 1, "high": 15}}


def test_the_study_name_changes_with_data_space_or_model_only():
    name = study.study_name("iris_knn", "ab" * 32, SPACE, "knn")
    assert name == study.study_name("iris_knn", "ab" * 32, dict(SPACE), "knn")
    assert name != study.study_name("iris_knn", "cd" * 32, SPACE, "knn")
    assert name != study.study_name("iris_knn", "ab" * 32, {"n_neighbors": {**SPACE["n_neighbors"], "high": 9}}, "knn")
    assert name != study.study_name("iris_knn", "ab" * 32, SPACE, "other")


def test_a_changed_space_starts_a_new_study_and_the_old_one_stays_readable(tmp_path):
    storage = study.open_storage("journal:optuna.journal", tmp_path)
    old, new = (study.study_name("t", "0" * 64, space, None) for space in (SPACE, {**SPACE, "p": SPACE["n_neighbors"]}))
    tune = TuneParams(space=SPACE)
    for name, n in ((old, 3), (new, 1)):
        opened = study.open_study(storage, name, direction="maximize", sampler=study.make_sampler(tune, 0),
                                  pruner=study.make_pruner(tune))
        opened.optimize(lambda trial: trial.suggest_int("n_neighbors", 1, 15), n_trials=n)
    again = study.open_storage("journal:optuna.journal", tmp_path)
    assert len(study.load_study(again, old).trials) == 3 and len(study.load_study(again, new).trials) == 1


@pytest.mark.parametrize("pruner, kind", [
    ({"type": "median"}, optuna.pruners.MedianPruner),
    ({"type": "successive_halving", "reduction_factor": 3}, optuna.pruners.SuccessiveHalvingPruner),
    ({"type": "hyperband", "max_resource": 20}, optuna.pruners.HyperbandPruner),
    ({"type": "none"}, optuna.pruners.NopPruner),
])
def test_each_pruner_the_block_names_is_built(pruner, kind):
    assert isinstance(study.make_pruner(TuneParams(pruner=pruner)), kind)
    assert isinstance(study.make_sampler(TuneParams(sampler="random"), 1), optuna.samplers.RandomSampler)


@pytest.mark.parametrize("tune, where", [
    ({"n_trials": -1}, "t.tune.n_trials"),
    ({"timeout": 0}, "t.tune.timeout"),
    ({"sampler": "grid"}, "t.tune.sampler"),
    ({"pruner": {"type": "median", "warmup": 1}}, "t.tune.pruner.warmup: unknown key"),
    ({"pruner": {"type": "hyperband", "min_resource": 0}}, "t.tune.pruner.min_resource"),
])
def test_bad_tune_values_are_named_by_their_key(tune, where):
    with pytest.raises(ConfigError, match=where) as caught:
        check_file({"t": {"models": {"m": {}}, "gate": {}, "tune": tune}})
    assert caught.value.exit_code == 2


def test_the_storage_must_be_journal_or_a_database_and_hides_passwords(tmp_path):
    with pytest.raises(ConfigError, match="--storage"):
        study.open_storage("ftp://u:secret@host/x", tmp_path)
    assert study.redact_url("postgresql://me:secret@db:5432/optuna?sslmode=require") == \
        "postgresql://me:<redacted>@db:5432/optuna?<redacted>"


def test_worker_shares_add_up_to_the_trials_asked_for():
    from coursework.commands.tune_workers import trial_shares

    for trials in range(1, 12):
        for workers in range(1, 5):
            shares = trial_shares(trials, workers)
            assert sum(shares) == trials and max(shares) - min(shares) <= 1


def test_a_users_own_tuned_file_is_never_overwritten(tmp_path):
    mine = tmp_path / "tuned" / "iris_knn.yaml"
    mine.parent.mkdir()
    mine.write_text("model: knn\nparams: {n_neighbors: 4}\n")
    with pytest.raises(OutputError) as caught:
        tuned.write_tuned(tmp_path, "iris_knn", {"model": "knn", "params": {}})
    assert caught.value.exit_code == 2 and mine.read_text() == "model: knn\nparams: {n_neighbors: 4}\n"


def test_the_placeholder_file_means_not_tuned(tmp_path):
    (tmp_path / "tuned").mkdir()
    (tmp_path / "tuned" / "iris_knn.yaml").write_text(f"{tuned.PLACEHOLDER}: `coursework tune iris_knn` writes here\n")
    assert tuned.read_tuned(tmp_path, "iris_knn") is None


def test_a_tuned_file_overlays_the_models_params_and_no_inline_study_runs():
    from sklearn.datasets import load_iris
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline

    from coursework import tune
    from coursework.problems import PROBLEMS

    X, y = load_iris(return_X_y=True, as_frame=True)
    inline = TuneParams(n_trials=5, cv_folds=3, space=SPACE)
    common = dict(problem=PROBLEMS["classification"], primary="accuracy",
                  factories={"knn": KNeighborsClassifier}, candidates={"knn": {"n_neighbors": 3}},
                  features=Pipeline([("id", "passthrough")]), X=X, y=y, tune=inline, seed=0)
    choice = tune.choose_model(**common, tuned={"model": "knn", "params": {"n_neighbors": 11}, "study": "s"})
    assert choice.params == {"n_neighbors": 11}
    assert choice.study["tuned_file"] is True and "pruned" not in choice.study  # the inline study did not run
    assert tune.choose_model(**common).study["trials"] == 5
    with pytest.raises(ConfigError, match="not one of the task's models"):
        tune.choose_model(**common, tuned={"model": "svc", "params": {}})
