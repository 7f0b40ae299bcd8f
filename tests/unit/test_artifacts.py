"""coursework.artifacts: skops trusted types computed and checked, per-file sha256 records and their check."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from coursework import artifacts
from coursework.errors import ArtifactIntegrityError
from coursework.features import build_features
from pipelines.titanic_ensemble.features import CATEGORICAL, NUMERIC, TitanicFeatures


class Foreign:
    """A type outside every allowed prefix (this test module)."""


def _titanic_pipeline():
    frame = pd.DataFrame({
        "pclass": [1, 3, 2, 3], "name": ["A, Mr. X", "B, Mrs. Y", "C, Miss. Z", "D, Master. W"],
        "sex": ["male", "female", "female", "male"], "age": [30.0, None, 8.0, 4.0], "sibsp": [0, 1, 0, 1],
        "parch": [0, 0, 1, 1], "fare": [50.0, 7.9, 20.0, 15.0], "cabin": ["C85", None, None, "B2"],
        "embarked": ["S", "C", None, "Q"],
    })
    features = build_features(numeric=NUMERIC, categorical=CATEGORICAL, options={"scaler": "standard"},
                              task_steps=[("titanic", TitanicFeatures((12.0, 18.0, 35.0, 60.0), fare_bins=2))])
    model = Pipeline([("features", features), ("model", GradientBoostingClassifier(n_estimators=3))])
    return model.fit(frame, [1, 0, 1, 0]), frame


def test_trusted_types_name_our_custom_transformer_and_the_model_loads_back(tmp_path):
    model, frame = _titanic_pipeline()
    data, trusted = artifacts.dump_skops(model)
    assert "pipelines.titanic_ensemble.features.TitanicFeatures" in trusted
    assert all(t.startswith(artifacts.ALLOWED_PREFIXES) for t in trusted)
    (tmp_path / "m.skops").write_bytes(data)
    loaded = artifacts.load_skops(tmp_path / "m.skops")
    assert (loaded.predict(frame) == model.predict(frame)).all()


@pytest.mark.parametrize("obj", [Foreign(), Pipeline([("call", FunctionTransformer(os.getcwd))])],
                         ids=["foreign-class", "os-function-in-a-pipeline"])
def test_a_type_outside_the_allow_list_is_never_trusted(obj, tmp_path):
    with pytest.raises(TypeError, match="outside the allow-list"):
        artifacts.dump_skops(obj)
    import skops.io

    (tmp_path / "x.skops").write_bytes(skops.io.dumps(obj))
    with pytest.raises(ArtifactIntegrityError, match="outside the allow-list"):
        artifacts.load_skops(tmp_path / "x.skops")


@pytest.mark.parametrize("types, refused", [
    (["sklearn.pipeline.Pipeline", "builtins.dict"], []),
    (["builtins.eval", "numpy.dtype"], ["builtins.eval"]),
    (["os.system"], ["os.system"]),
    (["subprocess.Popen", "coursework.deep.PixelScale"], ["subprocess.Popen"]),
])
def test_trusted_lists_read_from_a_model_are_checked(types, refused):
    if refused:
        with pytest.raises(ArtifactIntegrityError) as info:
            artifacts.check_trusted(types, what="MLmodel")
        assert str(refused) in str(info.value)
    else:
        artifacts.check_trusted(types, what="MLmodel")


def test_hash_record_round_trips_through_tags_even_past_one_tag(tmp_path):
    many = {f"artifacts/file_{i:04d}.bin": f"{i:064x}" for i in range(120)}  # ~10 kB of JSON: spans tags
    tags = artifacts.hash_tags(many)
    assert len(tags) > 1 and all(len(v) <= artifacts.TAG_CHUNK for v in tags.values())
    assert artifacts.hashes_from_tags({**tags, "data_hash": "x"}, what="v1") == many


def test_verify_names_every_changed_missing_and_extra_file(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("MLmodel", "model.skops", "sub/model.keras"):
        (tmp_path / name).write_text(name)
    record = artifacts.hash_tree(tmp_path)
    assert set(record) == {"MLmodel", "model.skops", "sub/model.keras"}
    artifacts.verify_tree(tmp_path, record, what="v1")  # unchanged: passes
    (tmp_path / "model.skops").write_text("other bytes")
    (tmp_path / "sub" / "model.keras").unlink()
    (tmp_path / "model.pkl").write_bytes(b"x")
    with pytest.raises(ArtifactIntegrityError) as info:
        artifacts.verify_tree(tmp_path, record, what="v1")
    message = str(info.value)
    assert "sub/model.keras: missing" in message and "model.pkl: not part of the registered model" in message
    assert "model.skops: sha256" in message and "MLmodel" not in message
    assert info.value.exit_code == 4


@pytest.mark.parametrize("tags, words", [({}, "no `artifact_sha256` tag"), ({"artifact_sha256": "{"}, "not a readable"),
                                         ({"artifact_sha256": "{}"}, "lists no files")])
def test_a_missing_or_broken_record_is_refused(tags, words):
    with pytest.raises(ArtifactIntegrityError, match=words):
        artifacts.hashes_from_tags(tags, what="v1")
