"""The `coursework` command through its entry point: list, run, show, predict, and refusals."""

import json

import pandas as pd
import pytest

import pipelines as catalog
from tests.support import PARAMS, console, iris_frame, registry_state

TASK = "iris_knn"
SPECIES = {"setosa", "versicolor", "virginica"}


def assert_refused(result, code: int = 2) -> None:
    """A user's mistake: this exact exit code, raised as an exit (not an escaped error), no traceback shown."""
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output, result.output


@pytest.fixture(scope="module")
def trained(prefect_harness, module_root, cli):
    """`coursework run iris_knn` once in this module's root."""
    result = cli("run", TASK)
    return module_root, result


def test_run_passes_and_prints_the_table(trained):
    _, result = trained
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.strip("│ ").startswith(TASK))
    for cell in ("passed", "accuracy", "0.9833", "v1", "champion"):
        assert cell in row


def test_list_shows_every_task_and_the_champion(trained, cli):
    result = cli("list")
    assert result.exit_code == 0, result.output
    for task in catalog.tasks(PARAMS):
        assert task in result.output
    row = next(line for line in result.output.splitlines() if line.strip("│ ").startswith(f"{TASK} "))
    for cell in ("classification", "accuracy", "v1", "0.9833"):
        assert cell in row


def test_show_names_champion_metrics_and_lineage(trained, cli):
    root, _ = trained
    result = cli("show", TASK)
    assert result.exit_code == 0, result.output
    manifest = json.loads((root / "data" / TASK / "manifest.json").read_text())
    assert "version 1" in result.output
    assert manifest["content_hash"] in result.output
    lines = result.output.splitlines()
    assert f"course reference: {catalog.spec(TASK).anchor}" in lines  # the spec's anchor, beside the champion
    assert any("accuracy" in line and "0.9833" in line for line in lines if "course reference" not in line)
    assert "n_neighbors" in result.output or "hp.n_neighbors" in result.output


@pytest.mark.parametrize("headers", ["ours", "kaggle"])
def test_predict_writes_predictions(trained, cli, tmp_path, headers):
    frame = iris_frame().drop(columns="species").sample(25, random_state=0)
    if headers == "kaggle":  # a student's Iris.csv from Kaggle
        frame = frame.rename(columns={"sepal_length": "SepalLengthCm", "sepal_width": "SepalWidthCm",
                                      "petal_length": "PetalLengthCm", "petal_width": "PetalWidthCm"})
    frame.to_csv(tmp_path / "input.csv", index=False)
    out = tmp_path / "out" / "preds.csv"
    result = cli("predict", TASK, tmp_path / "input.csv", "--out", out)
    assert result.exit_code == 0, result.output
    preds = pd.read_csv(out)
    assert len(preds) == 25
    assert set(preds["prediction"]) <= SPECIES
    truth = iris_frame().loc[frame.index, "species"].to_numpy()
    assert (preds["prediction"].to_numpy() == truth).mean() > 0.9


def test_predict_to_stdout(trained, cli, tmp_path):
    iris_frame().drop(columns="species").head(3).to_csv(tmp_path / "input.csv", index=False)
    result = cli("predict", TASK, tmp_path / "input.csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].endswith(",prediction")
    assert [line.rsplit(",", 1)[1] for line in result.stdout.splitlines()[1:4]] == ["setosa"] * 3


def test_predict_input_missing_a_column(trained, cli, tmp_path):
    iris_frame().drop(columns=["species", "petal_width"]).to_csv(tmp_path / "input.csv", index=False)
    result = cli("predict", TASK, tmp_path / "input.csv", "--out", tmp_path / "preds.csv")
    assert_refused(result)
    assert "petal_width" in result.output
    assert not (tmp_path / "preds.csv").exists()


def test_run_source_that_does_not_exist(trained, cli):
    root, _ = trained
    before = registry_state(TASK, root)
    result = cli("run", TASK, "--source", "missing.csv")
    assert_refused(result)
    assert "missing.csv" in result.output and "does not exist" in result.output
    assert registry_state(TASK, root) == before


@pytest.mark.fast
@pytest.mark.parametrize(
    "args, words",
    [
        (["run"], "name at least one task"),
        (["run", TASK, "iris_tree", "--source", "x.csv"], "exactly one task"),
        (["show", "nope"], "unknown task 'nope'"),
        (["predict", "nope", "x.csv"], "unknown task 'nope'"),
        (["run", TASK, "--source", "http://example.org/iris.csv?token=s3cr3t"], "plain http is refused"),
        (["run", TASK, "--source", "https://example.org/iris.csv?token=s3cr3t"], "needs its checksum"),
    ],
)
def test_refusals_need_no_flow(project_root, cli, args, words):
    result = cli(*args)
    assert_refused(result)
    assert words in result.output
    assert "s3cr3t" not in result.output  # a URL's query string is never shown
    assert not (project_root / ".coursework").exists()  # refused before anything was downloaded or staged


@pytest.mark.fast
@pytest.mark.parametrize("args", [["show", TASK], ["predict", TASK, "input.csv"]])
def test_no_champion_yet(project_root, cli, args):
    iris_frame().drop(columns="species").head(3).to_csv(project_root / "input.csv", index=False)
    result = cli(*args)
    assert_refused(result)
    assert "no champion yet" in result.output and f"coursework run {TASK}" in result.output


def test_console_script_missing_source(trained):
    root, _ = trained
    proc = console(root, "run", TASK, "--source", "missing.csv")
    assert proc.returncode == 2
    assert "missing.csv" in proc.stderr and "does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_console_script_validation_failure_is_one_message(trained):
    """What a user sees in the terminal: the failed expectation once, not Prefect's tracebacks too."""
    from prefect.settings import PREFECT_API_URL

    root, _ = trained
    iris_frame().drop(columns="petal_width").to_csv(root / "no_petal_width.csv", index=False)
    before = registry_state(TASK, root)
    proc = console(root, "run", TASK, "--source", "no_petal_width.csv", api_url=PREFECT_API_URL.value())
    text = proc.stdout + proc.stderr
    assert proc.returncode == 3
    assert "petal_width" in text and "expect_column_to_exist" in text
    assert registry_state(TASK, root) == before
    assert "Traceback" not in text, text
    failure_lines = [line for line in text.splitlines() if line.strip().startswith("- expect_column_to_exist")]
    assert len(failure_lines) == 1, text


@pytest.mark.fast
@pytest.mark.parametrize("option, make, words", [
    ("--metrics-out", lambda p: p.mkdir(), "is a folder"),
    ("--metrics-out", lambda p: p.write_text("my notes\n"), "not written by coursework"),
    ("--plots-out", lambda p: p.write_text("my notes\n"), "is a file"),
])
def test_outputs_that_would_hit_the_users_files_are_refused_before_the_run(project_root, cli, option, make, words):
    target = project_root / "mine"
    make(target)
    before = registry_state(TASK, project_root)
    result = cli("run", TASK, option, target)
    assert_refused(result)
    assert words in result.output and "mine" in result.output
    assert registry_state(TASK, project_root) == before
    assert not (project_root / "data").exists()
    assert target.is_dir() or target.read_text() == "my notes\n"
