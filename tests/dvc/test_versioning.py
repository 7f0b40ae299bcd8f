"""versioning and reports as pure-ish functions: a hand-written data.dvc, no DVC process started."""

import hashlib
import json

import pytest
import yaml

from coursework import reports, versioning
from coursework.errors import DataVersionError

A, B = "a" * 64, "b" * 64
X = hashlib.sha256(b"x").hexdigest()  # of a raw.csv holding "x"


def _project(tmp_path, recorded=None, present=None, dvc=True, md5="f00.dir"):
    """A folder with .dvc/ (optionally), a data.dvc recording `recorded` and data/<task>/raw.csv files."""
    if dvc:
        (tmp_path / ".dvc").mkdir()
    if recorded is not None:
        doc = {"outs": [{"md5": md5, "path": "data"}], "meta": {"recorded_md5": md5, "raw_sha256": recorded}}
        (tmp_path / "data.dvc").write_text(yaml.safe_dump(doc))
    hashes = {}
    for task, text in (present or {}).items():
        folder = tmp_path / "data" / task
        folder.mkdir(parents=True)
        (folder / "raw.csv").write_text(text)
        hashes[task] = hashlib.sha256(text.encode()).hexdigest()
    return hashes


def test_no_data_dvc_is_an_empty_record(tmp_path):
    assert versioning.read_record(tmp_path) == versioning.DataRecord()


def test_record_reads_the_version_and_per_task_hashes(tmp_path):
    _project(tmp_path, recorded={"t": A})
    record = versioning.read_record(tmp_path)
    assert record.version == "f00.dir" and dict(record.tasks) == {"t": A} and not record.stale


def test_meta_written_for_another_md5_is_stale(tmp_path):
    _project(tmp_path, recorded={"t": A})
    doc = yaml.safe_load((tmp_path / "data.dvc").read_text())
    doc["outs"][0]["md5"] = "re-added-by-hand.dir"
    (tmp_path / "data.dvc").write_text(yaml.safe_dump(doc))
    assert versioning.read_record(tmp_path).stale


def test_outside_a_dvc_repo_nothing_is_checked_or_recorded(tmp_path):
    _project(tmp_path, recorded={"t": A}, dvc=False)
    versioning.check_batch(tmp_path, "t", B, accept=False)
    assert versioning.record_data_version(tmp_path, ["t"]) == versioning.Recorded(versioning.UNTRACKED)
    assert versioning.current_version(tmp_path) == versioning.UNTRACKED


@pytest.mark.parametrize("accept", [False, True])
def test_the_recorded_bytes_always_pass(tmp_path, accept):
    _project(tmp_path, recorded={"t": A})
    versioning.check_batch(tmp_path, "t", A, accept=accept)


def test_a_source_with_other_bytes_is_refused_by_name(tmp_path):
    _project(tmp_path, recorded={"t": A, "u": A})
    with pytest.raises(DataVersionError, match="^t: the source now yields different data") as caught:
        versioning.check_batch(tmp_path, "t", B, accept=False)
    assert caught.value.tasks == ["t"] and caught.value.exit_code == 5
    assert "--accept-new-data" in str(caught.value)


def test_an_unrecorded_task_may_join(tmp_path):
    _project(tmp_path, recorded={"u": X}, present={"u": "x"})
    versioning.check_batch(tmp_path, "new_task", B, accept=False)


def test_accepted_new_data_needs_no_other_task_present(tmp_path):
    """A fresh clone has no data/ at all: a student's own file for one task is still let through."""
    _project(tmp_path, recorded={"t": A, "u": A, "v": A})
    versioning.check_batch(tmp_path, "t", B, accept=True)


def test_snapshot_must_match_its_manifest_and_the_record(tmp_path):
    hashes = _project(tmp_path, recorded={"t": A}, present={"t": "x"})
    raw = tmp_path / "data" / "t" / "raw.csv"
    with pytest.raises(DataVersionError, match="does not match its manifest"):
        versioning.check_snapshot(tmp_path, "t", raw, A)
    with pytest.raises(DataVersionError, match=r"data/t/raw.csv \(sha256 .*\) differs from what data.dvc records"):
        versioning.check_snapshot(tmp_path, "t", raw, hashes["t"])
    with pytest.raises(DataVersionError, match="not recorded in data.dvc"):
        versioning.check_snapshot(tmp_path, "u", raw, hashes["t"])


def test_metrics_json_is_sorted_finite_and_carries_extras(tmp_path):
    path = reports.write_metrics(tmp_path / "r" / "metrics.json", {"b": 1, "a": float("nan")}, passed_gate=True)
    assert json.loads(path.read_text()) == {"a": None, "b": 1.0, "passed_gate": True}
    assert list(json.loads(path.read_text())) == ["a", "b", "passed_gate"]
    assert [p.name for p in path.parent.iterdir()] == ["metrics.json"]


def test_plots_are_written_beside_the_users_files(tmp_path):
    """Before: the folder was swapped whole, deleting the user's stale.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = tmp_path / "plots"
    folder.mkdir()
    (folder / "stale.png").write_bytes(b"old")
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    plt.close(fig)  # MLflow's logger closes figures before the DVC outputs are written
    reports.write_plots(folder, {"confusion_matrix.png": fig})
    assert sorted(p.name for p in folder.iterdir()) == ["confusion_matrix.png", "stale.png"]
    assert (folder / "stale.png").read_bytes() == b"old"
    assert (folder / "confusion_matrix.png").read_bytes().startswith(b"\x89PNG")
    assert [p.name for p in tmp_path.iterdir()] == ["plots"]  # no temporary or old folders left
