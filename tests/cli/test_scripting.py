"""One run-all path and a CLI scripts can read: the all-tasks flow and `coursework run --json` give the same
summaries, an internal error in one task does not stop the next, and tables keep task ids whole in a pipe."""

import io
import json
import shutil

import pytest

from coursework import display
import pipelines as catalog
from tests.conftest import make_root
from tests.support import PARAMS, console

# A task a user cannot run offline (exit 2), one that hits an internal error (70), one that passes.
NAMES = ["malware_dense", "linear_synthetic", "iris_knn"]
BROKEN = "linear_synthetic"
SUMMARY_FIELDS = {"task", "status", "exit_code", "primary_metric", "value", "baseline", "model", "version", "alias",
                  "promoted", "passed_gate", "reasons", "data_version", "run_id", "metrics", "error", "error_kind",
                  "log", "seconds"}


def _break_artefacts(root):
    """A plain file where MLflow keeps the task's artefacts: every artefact write of that task fails (not our error)."""
    (root / "mlruns" / "artifacts").mkdir(parents=True, exist_ok=True)
    (root / "mlruns" / "artifacts" / BROKEN).write_text("a file, not the artefact folder\n")


@pytest.fixture(scope="module")
def flow_side(prefect_harness, module_root):
    """The all-tasks flow on NAMES in its own root: the final state (failed) and the summaries it carries."""
    from flows.all_tasks import all_tasks_flow

    _break_artefacts(module_root)
    state = all_tasks_flow(NAMES, params_path=str(module_root / "params.yaml"), root=str(module_root),
                           return_state=True)
    return module_root, state


@pytest.fixture(scope="module")
def cli_side(prefect_harness, tmp_path_factory, mlflow_store_template):
    """`coursework run NAMES --json` as a real process in a root of its own, on an 80-column terminal's width."""
    from prefect.settings import PREFECT_API_URL

    with pytest.MonkeyPatch.context() as mp:
        root = make_root(tmp_path_factory.mktemp("cli-side"), mp, mlflow_store_template)
    _break_artefacts(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COLUMNS", "80")
        proc = console(root, "run", *NAMES, "--json", api_url=PREFECT_API_URL.value())
    return root, proc


def _comparable(summary: dict) -> dict:
    """What two runs in two roots share: not the run id, the time taken, or the path of a log file."""
    kept = {k: v for k, v in summary.items() if k not in ("run_id", "seconds", "log")}
    if summary["exit_code"] == 70:  # its message names MLflow's run folder and the log file: checked apart
        kept.pop("error")
    return kept


def test_run_json_is_the_only_thing_on_stdout(cli_side):
    _, proc = cli_side
    document = json.loads(proc.stdout)  # fails on any stray line: progress and logs belong on stderr
    assert document["exit_code"] == proc.returncode == 2  # the first failure's code: malware_dense's
    assert [s["task"] for s in document["tasks"]] == NAMES
    assert all(set(s) == SUMMARY_FIELDS for s in document["tasks"])
    assert document["skipped"] == []
    assert "Traceback" not in proc.stdout + proc.stderr


def test_run_shows_progress_and_the_table_on_stderr(cli_side):
    _, proc = cli_side
    assert f"{len(NAMES)}/{len(NAMES)}" in proc.stderr  # the bar's tasks done of total
    for i, name in enumerate(NAMES, 1):
        assert f"[{i}/{len(NAMES)}] {name}" in proc.stderr
        rows = [line.split()[:2] for line in proc.stderr.splitlines()]
        assert [name, "exit"] in rows or [name, "passed"] in rows, name  # its table row, the id whole at 80 columns


def test_an_internal_error_in_one_task_does_not_stop_the_next(cli_side, flow_side):
    for root, summaries in ((cli_side[0], json.loads(cli_side[1].stdout)["tasks"]),
                            (flow_side[0], flow_side[1].result(raise_on_failure=False).summaries)):
        broken, passed = summaries[1], summaries[2]
        assert (broken["status"], broken["exit_code"], broken["error_kind"]) == ("failed", 70, "NotADirectoryError")
        log = root / ".coursework" / "logs" / broken["log"].rsplit("/", 1)[1]
        assert broken["log"] == str(log) and broken["error"].endswith(f"the traceback is in {log}")
        assert f"running {BROKEN}" in log.read_text() and "Traceback (most recent call last)" in log.read_text()
        assert (passed["status"], passed["version"], passed["alias"]) == ("passed", 1, "champion")
        assert isinstance(passed["value"], float) and passed["value"] > passed["baseline"]


def test_the_flow_and_the_cli_give_the_same_summaries(cli_side, flow_side):
    _, state = flow_side
    assert state.is_failed()  # a schedule's run of the flow shows as failed
    raised = state.result(raise_on_failure=False)
    assert str(raised) == "tasks that did not pass: malware_dense, linear_synthetic"
    cli_summaries = json.loads(cli_side[1].stdout)["tasks"]
    assert [_comparable(s) for s in raised.summaries] == [_comparable(s) for s in cli_summaries]
    assert raised.summaries[0]["error_kind"] == "SourceError" and "--source" in raised.summaries[0]["error"]


def test_the_flow_returns_its_summaries_when_every_task_passes(flow_side):
    from flows.all_tasks import all_tasks_flow

    root, _ = flow_side
    shutil.rmtree(root / "mlruns" / "artifacts" / BROKEN, ignore_errors=True)
    (root / "mlruns" / "artifacts" / BROKEN).unlink(missing_ok=True)
    summaries = all_tasks_flow([BROKEN], params_path=str(root / "params.yaml"), root=str(root))
    assert [(s["task"], s["status"], s["exit_code"], s["version"]) for s in summaries] == [(BROKEN, "passed", 0, 1)]


def test_list_on_80_columns_keeps_every_task_id_whole(cli_side):
    """`coursework list | grep linear_synthetic` finds its row: at Rich's 80 columns the id used to end in "…"."""
    root, _ = cli_side
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COLUMNS", "80")  # what Rich takes for a pipe when no terminal is found
        proc = console(root, "list")
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line for line in proc.stdout.splitlines() if line.split()}
    for task in catalog.tasks(PARAMS):
        assert task in rows, proc.stdout
    assert "…" not in proc.stdout
    assert rows["iris_knn"].split()[-2:] == ["v1", "0.9833"] and rows[BROKEN].split()[-2:] == ["-", "-"]
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80


def test_a_pipe_without_columns_gets_each_row_on_one_line(monkeypatch):
    """No COLUMNS and no terminal: a table at its own width, not 80, so every field of a row is on its line."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr("sys.stdout", io.StringIO())  # not a terminal, as in `coursework list | grep ...`
    console = display.stdout_console()
    source = "generated as in deck 003 (RandomState(35)) " * 4
    with console.capture() as captured:
        console.print(display.table(("task", "source", "value"), [(BROKEN, source, "0.9599")], fold=("source",)))
    row = next(line for line in captured.get().splitlines() if BROKEN in line)
    assert source.strip() in row and row.split()[-1] == "0.9599"


def test_list_and_show_json(cli_side, cli, monkeypatch):
    root, proc = cli_side
    ran = {s["task"]: s for s in json.loads(proc.stdout)["tasks"]}
    monkeypatch.chdir(root)
    listed = cli("list", "--json")
    assert listed.exit_code == 0, listed.output
    entries = {e["task"]: e for e in json.loads(listed.stdout)}
    assert list(entries) == catalog.tasks(PARAMS)
    spec = catalog.spec("iris_knn")
    assert entries["iris_knn"] == {"task": "iris_knn", "problem": "classification", "source": "scikit-learn load_iris",
                                   "description": spec.description, "anchor": spec.anchor,
                                   "primary_metric": "accuracy", "champion_version": 1,
                                   "champion_value": ran["iris_knn"]["value"]}
    assert entries[BROKEN]["champion_version"] is None and entries[BROKEN]["champion_value"] is None
    shown = cli("show", "iris_knn", "--json")
    assert shown.exit_code == 0, shown.output
    champion = json.loads(shown.stdout)
    manifest = json.loads((root / "data" / "iris_knn" / "manifest.json").read_text())
    assert (champion["version"], champion["run_id"], champion["anchor"]) == (1, ran["iris_knn"]["run_id"], spec.anchor)
    assert champion["data_hash"] == manifest["content_hash"]
    assert {key: champion["metrics"][key] for key in ran["iris_knn"]["metrics"]} == ran["iris_knn"]["metrics"]
    assert all(isinstance(v, float) for v in champion["metrics"].values())
