"""ingest: every unreadable file gives a SourceError naming it; snapshots are staged, promoted or quarantined."""

import hashlib
import json

import pandas as pd
import pytest

from coursework import fsutil, ingest
from coursework.errors import SourceError
from tests.support import iris_frame

IRIS = iris_frame()


def _write(path, content):
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


BAD_FILES = {
    # name: (file name, content or None for "do not create", words the message must hold)
    "missing": ("nothere.csv", None, "does not exist"),
    "empty": ("empty.csv", b"", "empty"),
    "header only": ("header.csv", "sepal_length,species\n", "no data rows"),
    "binary": ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00\x01", "binary"),
    "too many fields": ("ragged.csv", "a,b\n1,2\n3,4,5,6\n", "could not be parsed"),
    "unterminated quote": ("quote.csv", 'a,b\n1,"2\n3,4\n', "could not be parsed"),
    "unsupported type": ("data.xlsx", b"PK\x03\x04 not really a workbook", "unsupported file type"),
    "corrupt parquet": ("data.parquet", b"this is not parquet at all", "could not be parsed"),
    "cut mid-row": ("cut.csv", "a,b,c\n1,2,3\n4,5", "line 3 is cut short (2 of 3 fields"),
    "cut in a quoted field": ("cutq.csv", 'a,b,c\n1,2,3\n4,"five', "line 3 is cut short"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_read_table_bad_files(tmp_path, case):
    name, content, words = BAD_FILES[case]
    path = tmp_path / name
    if content is not None:
        _write(path, content)
    with pytest.raises(SourceError) as info:
        ingest.read_table(path)
    message = str(info.value)
    assert name in message
    assert words in message
    assert "\n" not in message  # one line, not a traceback


def test_read_table_refuses_a_titanic_file_cut_mid_row(tmp_path):
    """Before: the cut row was padded with NaN and the batch passed validation."""
    from pipelines.titanic_ensemble import load_titanic

    text = load_titanic().to_csv(index=False)
    cut = text[: text.rindex(",", 0, len(text) - 40)]  # inside the last record, no final newline
    path = _write(tmp_path / "train.csv", cut)
    with pytest.raises(SourceError, match=rf"train.csv: line {cut.count(chr(10)) + 1} is cut short"):
        ingest.read_table(path)


@pytest.mark.parametrize("text", ["a,b\n1,2", "a,b\r\n1,2", "a,b\n1,2\n", "a,b\n1,"])
def test_read_table_takes_a_whole_last_record_without_a_final_newline(tmp_path, text):
    frame = ingest.read_table(_write(tmp_path / "ok.csv", text))
    assert list(frame.columns) == ["a", "b"] and len(frame) == 1


def test_read_table_directory(tmp_path):
    with pytest.raises(SourceError, match="not a file"):
        ingest.read_table(tmp_path)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_read_table_round_trips(tmp_path, suffix):
    path = tmp_path / f"iris{suffix}"
    IRIS.to_csv(path, index=False) if suffix == ".csv" else IRIS.to_parquet(path, index=False)
    pd.testing.assert_frame_equal(ingest.read_table(path), IRIS)


def test_apply_aliases_renames_known_headers_only():
    frame = pd.DataFrame({"SepalLengthCm": [1.0], "Species": ["setosa"], "Id": [1]})
    out = ingest.apply_aliases(frame, {"SepalLengthCm": "sepal_length", "Species": "species"})
    assert list(out.columns) == ["sepal_length", "species", "Id"]
    both = pd.DataFrame({"Species": ["x"], "species": ["setosa"]})
    assert list(ingest.apply_aliases(both, {"Species": "species"}).columns) == ["Species", "species"]


def test_read_source_default_and_file(tmp_path):
    calls = []

    def default(**options):
        calls.append(options)
        return IRIS

    frame, label = ingest.read_source(None, default=default, default_label="pkg", options={"n": 3},
                                      download_dir=tmp_path)
    assert calls == [{"n": 3}] and label == "pkg" and frame is IRIS
    path = tmp_path / "mine.csv"
    IRIS.head(40).to_csv(path, index=False)
    frame, label = ingest.read_source(str(path), default=default, default_label="pkg", options={},
                                      download_dir=tmp_path)
    assert len(frame) == 40 and label == str(path.resolve())


def _stage(tmp_path, frame=IRIS, task="iris_knn"):
    return ingest.stage_snapshot(frame, task=task, source="test", staging_root=tmp_path / "staging")


def test_stage_writes_data_and_manifest(tmp_path):
    staged = _stage(tmp_path)
    manifest = json.loads((staged.folder / ingest.MANIFEST).read_text())
    assert manifest == dict(staged.manifest)
    assert manifest["rows"] == 150 and manifest["columns"] == list(IRIS.columns)
    assert manifest["content_hash"] == hashlib.sha256(staged.data_path.read_bytes()).hexdigest()
    assert not (tmp_path / "data").exists()  # staging never touches the validated snapshot


def test_content_hash_is_the_same_for_the_same_frame(tmp_path):
    assert _stage(tmp_path).content_hash == _stage(tmp_path).content_hash
    assert _stage(tmp_path, IRIS.head(100)).content_hash != _stage(tmp_path).content_hash


def test_snapshot_round_trips_exactly(tmp_path):
    frame = pd.DataFrame({"x": [0.1 + 0.2, 1 / 3, 1e-17], "y": ["a", "b", "c"]})
    promoted = ingest.promote_snapshot(_stage(tmp_path, frame, "t"), data_dir=tmp_path / "data")
    back, snap = ingest.load_snapshot(promoted.folder)
    pd.testing.assert_frame_equal(back, frame)
    assert snap.content_hash == promoted.content_hash


def test_load_snapshot_missing_says_run_first(tmp_path):
    with pytest.raises(SourceError, match="coursework run"):
        ingest.load_snapshot(tmp_path / "data" / "nope")


def test_promote_creates_then_replaces(tmp_path):
    data_dir = tmp_path / "data"
    first = ingest.promote_snapshot(_stage(tmp_path, IRIS.head(100)), data_dir=data_dir)
    assert first.folder == data_dir / "iris_knn"
    assert len(pd.read_csv(first.data_path)) == 100
    staged = _stage(tmp_path)
    second = ingest.promote_snapshot(staged, data_dir=data_dir)
    assert len(pd.read_csv(second.data_path)) == 150
    assert json.loads((second.folder / ingest.MANIFEST).read_text())["rows"] == 150
    assert not staged.folder.exists()
    assert [p.name for p in data_dir.iterdir()] == ["iris_knn"]  # no temporary or old folders left behind


def test_promote_that_fails_midway_leaves_the_old_snapshot(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    first = ingest.promote_snapshot(_stage(tmp_path, IRIS.head(100)), data_dir=data_dir)
    before = first.data_path.read_bytes(), (first.folder / ingest.MANIFEST).read_bytes()
    staged = _stage(tmp_path)
    real_copy = ingest.shutil.copy2
    copied = []

    def copy_then_fail(src, dst, *a, **kw):
        if copied:
            raise OSError("disk full")
        copied.append(src)
        return real_copy(src, dst, *a, **kw)

    monkeypatch.setattr(ingest.shutil, "copy2", copy_then_fail)
    with pytest.raises(OSError):
        ingest.promote_snapshot(staged, data_dir=data_dir)
    assert (first.data_path.read_bytes(), (first.folder / ingest.MANIFEST).read_bytes()) == before
    assert [p.name for p in data_dir.iterdir()] == ["iris_knn"]  # the half-filled new folder is gone


def test_each_run_stages_into_a_folder_of_its_own(tmp_path):
    """Two overlapping runs of one task: neither can promote the other's bytes."""
    first, second = _stage(tmp_path, IRIS.head(100)), _stage(tmp_path)
    assert first.folder != second.folder and first.folder.parent == second.folder.parent
    assert first.folder.name.startswith(f"iris_knn.{fsutil.owner_token()}.")  # the owner, for a clean-up after a crash
    assert len(pd.read_csv(first.data_path)) == 100 and len(pd.read_csv(second.data_path)) == 150
    promoted = ingest.promote_snapshot(first, data_dir=tmp_path / "data")
    assert len(pd.read_csv(promoted.data_path)) == 100 and second.folder.exists()


def test_a_kaggle_iris_file_is_mapped_to_the_tasks_names_and_labels(tmp_path):
    from pipelines import get_spec

    kaggle = pd.DataFrame({"Id": range(1, 151), "SepalLengthCm": IRIS["sepal_length"], "SepalWidthCm": IRIS["sepal_width"],
                           "PetalLengthCm": IRIS["petal_length"], "PetalWidthCm": IRIS["petal_width"],
                           "Species": "Iris-" + IRIS["species"]})
    path = tmp_path / "Iris.csv"
    kaggle.to_csv(path, index=False)
    frame, staged = ingest.stage_source(get_spec("iris_knn"), source=str(path), options={}, work_dir=tmp_path)
    assert list(frame.columns) == [*IRIS.columns] and set(frame["species"]) == {"setosa", "versicolor", "virginica"}
    assert staged.manifest["columns"] == list(IRIS.columns)


def test_social_network_ads_keeps_age_income_and_the_label_only(tmp_path):
    from pipelines import get_spec

    path = tmp_path / "Social_Network_Ads.csv"
    path.write_text("User ID,Gender,Age,EstimatedSalary,Purchased\n15624510,Male,19,19000,0\n15810944,Male,35,20000,1\n")
    frame, _ = ingest.stage_source(get_spec("purchase_logistic"), source=str(path), options={}, work_dir=tmp_path)
    assert frame.to_dict("list") == {"age": [19, 35], "income": [19000, 20000], "purchased": [0, 1]}


def test_quarantine_keeps_the_batch_and_leaves_the_snapshot(tmp_path):
    data_dir = tmp_path / "data"
    good = ingest.promote_snapshot(_stage(tmp_path), data_dir=data_dir)
    before = good.data_path.read_bytes()
    bad = IRIS.assign(species="dog")
    staged = _stage(tmp_path, bad)
    report = {"success": False, "failures": [{"expectation": "x", "column": "species", "observed": "dog"}]}
    kept = ingest.quarantine_snapshot(staged, rejected_root=tmp_path / "rejected", report=report)
    assert kept.parent == tmp_path / "rejected" / "iris_knn"
    assert sorted(p.name for p in kept.iterdir()) == ["manifest.json", "raw.csv", "validation.json"]
    assert json.loads((kept / "validation.json").read_text()) == report
    assert (pd.read_csv(kept / "raw.csv")["species"] == "dog").all()
    assert not staged.folder.exists()
    assert good.data_path.read_bytes() == before


def test_two_quarantines_do_not_overwrite_each_other(tmp_path):
    root = tmp_path / "rejected"
    first = ingest.quarantine_snapshot(_stage(tmp_path), rejected_root=root, report={})
    second = ingest.quarantine_snapshot(_stage(tmp_path), rejected_root=root, report={})
    assert first != second and first.exists() and second.exists()
