"""reports: --metrics-out and --plots-out write only their own files and never remove or rename a folder."""

import json
from pathlib import Path

import matplotlib
import pytest

from coursework import reports
from coursework.errors import OutputError

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _figure():
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    plt.close(fig)
    return fig


FIGURES = {"confusion_matrix.png": None, "roc_curve.png": None}


@pytest.fixture
def figures():
    return {name: _figure() for name in FIGURES}


def _tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() else None for p in folder.rglob("*")}


def test_metrics_out_that_is_a_folder_is_refused(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(OutputError, match="is a folder") as info:
        reports.write_metrics(tmp_path / "out", {"accuracy": 0.9}, passed_gate=True)
    assert info.value.exit_code == 2
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("content", ["# my notes\n", '{"accuracy": 1}', "\x00\x01"])
def test_metrics_out_onto_a_users_file_is_refused(tmp_path, content):
    path = tmp_path / "README.md"
    path.write_text(content)
    with pytest.raises(OutputError, match="not written by coursework"):
        reports.write_metrics(path, {"accuracy": 0.9}, passed_gate=True)
    assert path.read_text() == content


def test_metrics_out_replaces_its_own_file(tmp_path):
    path = reports.write_metrics(tmp_path / "metrics.json", {"accuracy": 0.9}, passed_gate=True)
    reports.write_metrics(path, {"accuracy": 0.8}, passed_gate=False)
    assert json.loads(path.read_text()) == {"accuracy": 0.8, "passed_gate": False}


def test_plots_out_that_is_a_file_is_refused(tmp_path, figures):
    (tmp_path / "plots").write_text("mine")
    with pytest.raises(OutputError, match="is a file"):
        reports.write_plots(tmp_path / "plots", figures)
    assert (tmp_path / "plots").read_text() == "mine"


def test_plots_out_never_overwrites_a_users_file_and_writes_nothing(tmp_path, figures):
    folder = tmp_path / "pictures"
    folder.mkdir()
    _figure().savefig(folder / "roc_curve.png")  # the user's own PNG, under a name the task writes
    before = _tree(folder)
    with pytest.raises(OutputError, match="roc_curve.png already exist"):
        reports.write_plots(folder, figures)
    assert _tree(folder) == before  # confusion_matrix.png was not written either


def test_plots_out_replaces_its_own_plots_and_keeps_the_rest(tmp_path, figures):
    folder = tmp_path / "plots"
    reports.write_plots(folder, figures)  # a folder that did not exist (as after DVC removed its output)
    (folder / "notes.txt").write_text("mine")
    reports.write_plots(folder, {name: _figure() for name in FIGURES})
    assert sorted(p.name for p in folder.iterdir()) == ["confusion_matrix.png", "notes.txt", "roc_curve.png"]
    assert (folder / "notes.txt").read_text() == "mine"


def test_plots_out_onto_the_project_root_renames_nothing(tmp_path, figures, monkeypatch):
    """Before: `--plots-out .` would have swapped the project root away."""
    (tmp_path / "params.yaml").write_text("base: {}\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "raw.csv").write_text("a\n1\n")
    inode, before = tmp_path.stat().st_ino, _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    reports.write_plots(Path("."), figures)
    after = _tree(tmp_path)
    assert tmp_path.stat().st_ino == inode
    assert {k: v for k, v in after.items() if k in before} == before
    assert set(after) - set(before) == set(FIGURES)


def test_plots_out_is_checked_before_the_run(tmp_path, figures):
    """At the start of a run the figure names are unknown: any PNG of the user's there is a refusal."""
    folder = tmp_path / "pictures"
    reports.check_plots_target(folder)  # does not exist yet: fine
    reports.write_plots(folder, figures)
    (folder / "notes.txt").write_text("mine")
    reports.check_plots_target(folder)  # only its own PNGs and a non-plot file: fine
    _figure().savefig(folder / "holiday.png")
    with pytest.raises(OutputError, match="holiday.png already exist"):
        reports.check_plots_target(folder)
