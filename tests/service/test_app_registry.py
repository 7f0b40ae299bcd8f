"""What the app reads from the registry when a version has no serving metadata (registered before it existed)."""

from __future__ import annotations

import shutil
from pathlib import Path

from coursework import tracking, tracking_serving
from coursework.webapp import registry_view, scoring


def _metadata_file(root: Path, run_id: str) -> Path:
    found = list((root / "mlruns").rglob(f"{run_id}/artifacts/{tracking_serving.METADATA}"))
    assert len(found) == 1, found
    return found[0]


def test_a_version_without_serving_metadata_falls_back_to_its_signature(app_project, tmp_path):
    tracking.configure(app_project)
    champion = tracking.alias_version("iris_knn")
    path = _metadata_file(app_project, champion["run_id"])
    kept = shutil.copy2(path, tmp_path / "metadata.json")
    path.unlink()  # as a version registered before serving metadata was logged
    try:
        assert tracking_serving.metadata(champion["run_id"]) is None
        row = registry_view.overview_row("iris_knn")
        assert row["anchor"] == "(no serving metadata)" and row["primary metric"] == "accuracy"  # from baseline_*
        model = tracking.load_version_model("iris_knn", champion["version"])
        features = scoring._signature_features(model)
        assert [f["name"] for f in features] == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
        assert {f["kind"] for f in features} == {"numeric"} and all(f["default"] is None for f in features)
    finally:
        shutil.copy2(kept, path)
    assert tracking_serving.metadata(champion["run_id"])["task"] == "iris_knn"
