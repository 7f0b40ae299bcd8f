"""promote, rollback and history through the real CLI on three real iris_knn versions, and the audit trail's rules.

The module trains once: v1 (k=3) becomes champion by its gate, v2 (k=1) passes its gate but stays
challenger, v3 (k=25 under an unreachable gate) misses it. The tests then run in file order on that store.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from mlflow import MlflowClient

from coursework import audit, tracking
from coursework.audit import Entry
from tests.concurrency.test_locks import _holder, _kill  # another process that holds the champion lock
from tests.support import console

TASK = "iris_knn"
FIELDS = ["time", "alias", "from_version", "to_version", "user", "reason", "kind"]
USER = audit.current_user()


def _params(root: Path, name: str, k: int, gate: float) -> Path:
    params = yaml.safe_load((root / "params.yaml").read_text())
    params[TASK]["models"]["knn"]["n_neighbors"] = k
    params[TASK]["gate"]["min"]["accuracy"] = gate
    path = root / name
    path.write_text(yaml.safe_dump(params))
    return path


@pytest.fixture(scope="module")
def store(prefect_harness, module_root, cli):
    """Three versions of iris_knn, each from a real `coursework run`: champion, challenger, gate missed."""
    for name, k, gate, alias in (("v1.yaml", 3, 0.95, "champion"), ("v2.yaml", 1, 0.5, "challenger"),
                                 ("v3.yaml", 25, 0.999, "challenger")):
        again = ["--from-snapshot"] if alias == "challenger" else []  # the data is ingested and validated once
        result = cli("run", TASK, "--params", _params(module_root, name, k, gate), *again)
        assert result.exit_code == (1 if gate > 0.99 else 0), result.output
        rows = [line.split() for line in result.output.splitlines() if line.split()[:1] == [TASK]]
        assert rows and rows[-1][-1] == alias, result.output  # the run table's row: task ... alias
    tracking.configure(module_root)
    return module_root


def _history(cli) -> list[dict]:
    result = cli("history", TASK, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _champion() -> int | None:
    found = tracking.alias_version(TASK)
    return found["version"] if found else None


def _refused(result, code: int, *words: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and all(w in result.output for w in words), result.output


def test_a_runs_alias_moves_are_recorded_as_gate(store, cli):
    moves = _history(cli)
    assert [list(m) for m in moves] == [FIELDS] * 3
    assert [(m["alias"], m["from_version"], m["to_version"], m["kind"]) for m in moves] == [
        ("champion", None, 1, "gate"), ("challenger", None, 2, "gate"), ("challenger", 2, 3, "gate")]
    client = MlflowClient()
    for m in moves:  # the reason is the run's decision, as the version records it
        assert m["reason"] == client.get_model_version(TASK, str(m["to_version"])).tags["decision"]
        assert m["user"] == USER and m["time"].endswith("+00:00")
    assert "missed" in moves[2]["reason"] or "0.999" in moves[2]["reason"]
    # the trail is the registry's own: registered-model tags the MLflow UI shows on the model's page
    tags = client.get_registered_model(TASK).tags
    assert sorted(k for k in tags if k.startswith("audit.")) == ["audit.000001", "audit.000002", "audit.000003"]


def test_history_without_json_is_a_table_of_every_move(store, cli):
    result = cli("history", TASK)
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "│ gate" in line]
    assert len(rows) == 3 and "│ champion" in rows[0] and "│ v3" in rows[2]


def test_history_of_a_task_never_registered_is_empty(store, cli):
    result = cli("history", "iris_tree", "--json")
    assert result.exit_code == 0 and json.loads(result.output) == [], result.output


@pytest.mark.parametrize("args, words", [
    (["promote", TASK, "2"], ["Missing option", "--reason"]),
    (["promote", TASK, "2", "--reason", "   "], ["--reason must say why"]),
    (["promote", TASK, "9", "--reason", "typo"], ["has no version 9", "[1, 2, 3]"]),
    (["promote", TASK, "3", "--reason", "looks fine to me"], ["missed its gate", "pass --force"]),
    (["promote", "iris_knm", "2", "--reason", "typo"], ["unknown task 'iris_knm'"]),
    (["rollback", "iris_knm", "--reason", "typo"], ["unknown task 'iris_knm'"]),
    (["history", "iris_knm"], ["unknown task 'iris_knm'"]),
    (["rollback", TASK, "--reason", "nothing before v1"], ["nothing to roll back to", "version 1 is the first"]),
])
def test_refusals_exit_2_and_change_nothing(store, cli, args, words):
    before = _history(cli)
    _refused(cli(*args), 2, *words)
    assert _champion() == 1 and _history(cli) == before


def test_a_missing_reason_is_refused_by_the_real_console(store):
    proc = console(store, "promote", TASK, "2")
    assert proc.returncode == 2, proc.stderr
    assert "Missing option" in proc.stderr and "--reason" in proc.stderr and "Traceback" not in proc.stderr
    assert _champion() == 1


def test_an_incomplete_version_is_refused(store, cli):
    client = MlflowClient()
    client.set_model_version_tag(TASK, "2", tracking.INCOMPLETE, "killed during registration (test)")
    try:
        result = cli("promote", TASK, "2", "--reason", "try it")
    finally:
        client.delete_model_version_tag(TASK, "2", tracking.INCOMPLETE)
    _refused(result, 2, "did not finish")
    assert _champion() == 1 and len(_history(cli)) == 3


def _model_folder(version: int) -> Path:
    source = MlflowClient().get_model_version(TASK, str(version)).source  # models:/m-<logged model id>
    location = MlflowClient().get_logged_model(source.split("/")[-1]).artifact_location
    return Path(location.removeprefix("file://"))


def test_a_tampered_artefact_is_refused_with_exit_4(store, cli):
    target = _model_folder(2) / "model.skops"
    data = target.read_bytes()
    target.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # one bit of one byte
    try:
        result = cli("promote", TASK, "2", "--reason", "try it")
    finally:
        target.write_bytes(data)
    _refused(result, 4, "model.skops: sha256", "not match")
    assert _champion() == 1 and len(_history(cli)) == 3


def test_promote_waits_for_the_champion_lock_and_gives_up_with_75(store, cli, monkeypatch):
    """Promotion takes the same per-task lock a run's decision holds (here held by another real process)."""
    monkeypatch.setenv("COURSEWORK_LOCK_TIMEOUT", "1")
    holder = _holder("lock", tracking.current_uri(), store)
    try:
        result = cli("promote", TASK, "2", "--reason", "while a run decides")
    finally:
        _kill(holder)
    _refused(result, 75, "iris_knn champion lock", "still held")
    assert _champion() == 1 and len(_history(cli)) == 3


def test_promote_moves_the_champion_and_records_it(store, cli):
    result = cli("promote", TASK, "2", "--reason", "k=1 is what the deck shows")
    assert result.exit_code == 0, result.output
    assert "champion v1 -> v2" in result.output and _champion() == 2
    last = _history(cli)[-1]
    assert (last["alias"], last["from_version"], last["to_version"], last["kind"], last["reason"], last["user"]) == (
        "champion", 1, 2, "manual", "k=1 is what the deck shows", USER)


def test_promoting_the_champion_again_moves_and_records_nothing(store, cli):
    before = _history(cli)
    result = cli("promote", TASK, "2", "--reason", "again")
    assert result.exit_code == 0 and "already the champion" in result.output, result.output
    assert _champion() == 2 and _history(cli) == before


def test_force_promotes_a_version_that_missed_its_gate(store, cli, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")  # the server's authenticated user, when there is one
    result = cli("promote", TASK, "3", "--force", "--reason", "smoother boundary, accepted by hand")
    assert result.exit_code == 0, result.output
    assert _champion() == 3
    last = _history(cli)[-1]
    assert (last["from_version"], last["to_version"], last["kind"], last["user"]) == (2, 3, "manual", "alice")


def test_rollback_walks_back_through_the_champions(store, cli):
    assert _champion() == 3
    for expected in (2, 1):
        result = cli("rollback", TASK, "--reason", "undo")
        assert result.exit_code == 0, result.output
        assert _champion() == expected
    _refused(cli("rollback", TASK, "--reason", "undo"), 2, "nothing to roll back to")
    moves = _history(cli)[-2:]
    assert [(m["from_version"], m["to_version"], m["kind"]) for m in moves] == [(3, 2, "manual"), (2, 1, "manual")]
    assert _champion() == 1


def _grid() -> pd.DataFrame:
    """Points across the iris feature box: k=3 and k=25 disagree on some of them."""
    rng = np.random.default_rng(0)
    low, high = np.array([4.3, 2.0, 1.0, 0.1]), np.array([7.9, 4.4, 6.9, 2.5])
    return pd.DataFrame(rng.uniform(low, high, size=(300, 4)).round(1),
                        columns=["sepal_length", "sepal_width", "petal_length", "petal_width"])


def _predict(cli, rows: Path, out: Path) -> list[str]:
    result = cli("predict", TASK, rows, "--out", out)
    assert result.exit_code == 0, result.output
    return pd.read_csv(out)["prediction"].astype(str).tolist()


def test_predict_follows_the_champion_after_a_rollback(store, cli, tmp_path):
    import mlflow

    rows = tmp_path / "rows.csv"
    _grid().to_csv(rows, index=False)
    expected = {v: [str(p) for p in mlflow.pyfunc.load_model(f"models:/{TASK}/{v}").predict(_grid())] for v in (1, 3)}
    assert expected[1] != expected[3]  # otherwise this test could not tell the versions apart
    assert cli("promote", TASK, "3", "--force", "--reason", "for the predict check").exit_code == 0
    assert _predict(cli, rows, tmp_path / "a.csv") == expected[3]
    assert cli("rollback", TASK, "--reason", "back again").exit_code == 0
    assert _champion() == 1 and _predict(cli, rows, tmp_path / "b.csv") == expected[1]


def test_a_crash_between_record_and_alias_leaves_no_unrecorded_move(store, cli):
    """A pending record whose alias never moved is no move; the next move marks it aborted and goes on."""
    client = MlflowClient()
    names = sorted(k for k in client.get_registered_model(TASK).tags if k.startswith("audit."))
    orphan = Entry(time=audit.now(), alias="champion", from_version=1, to_version=2, user=USER, reason="killed",
                   kind="manual", action="promote", state="pending")
    client.set_registered_model_tag(TASK, audit.key(len(names) + 1), orphan.to_tag())
    assert _champion() == 1 and all(m["reason"] != "killed" for m in _history(cli))
    # killed after the alias moved but before the record was marked done: the move did happen
    tracking.set_alias(TASK, "champion", 2)
    assert _history(cli)[-1]["reason"] == "killed"
    tracking.set_alias(TASK, "champion", 1)
    result = cli("promote", TASK, "2", "--reason", "after the crash")
    assert result.exit_code == 0, result.output
    stored = audit.read(client.get_registered_model(TASK).tags)
    assert [e.state for _, e in stored[-2:]] == ["aborted", "done"]
    assert _history(cli)[-1]["reason"] == "after the crash" and "killed" not in [m["reason"] for m in _history(cli)]


# ---------------------------------------------------------------- the trail's rules, without a store


def _e(frm, to, action="promote", alias="champion", state="done") -> Entry:
    return Entry(time="t", alias=alias, from_version=frm, to_version=to, user="u", reason="r",
                 kind="gate" if action == "gate" else "manual", action=action, state=state)


@pytest.mark.parametrize("entries, current, expected", [
    ([], None, None),
    ([_e(None, 1, "gate")], 1, None),
    ([_e(None, 1, "gate"), _e(1, 2, "gate")], 2, 1),
    ([_e(None, 1, "gate"), _e(1, 2, "gate"), _e(2, 3), _e(3, 2, "rollback")], 2, 1),  # a rollback is not undone
    ([_e(None, 1, "gate"), _e(None, 5, "gate", alias="challenger"), _e(1, 2)], 2, 1),  # other aliases ignored
    ([_e(None, 1, "gate"), _e(1, 2, "gate")], 4, 2),  # moved outside coursework: back to the last recorded one
    ([_e(7, 8)], 8, 7),  # the trail began while version 7 was champion
])
def test_previous_champion(entries, current, expected):
    assert audit.previous_champion(entries, current) == expected


def test_settle_keeps_only_a_last_pending_record_whose_alias_moved():
    records = [("audit.000001", _e(None, 1, "gate")), ("audit.000002", _e(1, 2, state="pending")),
               ("audit.000003", _e(None, 4, "gate", alias="challenger", state="pending"))]
    settled = dict(audit.settle(records, {"champion": 2, "challenger": 3}))
    assert [settled[k].state for k in sorted(settled)] == ["done", "done", "aborted"]
    earlier = audit.settle(records[:2] + [("audit.000004", _e(1, 3))], {"champion": 2})
    assert earlier[1][1].state == "aborted"  # not its alias's last record: a later move settled it


def test_a_record_always_fits_the_stores_tag_column():
    long = Entry(time=audit.now(), alias="champion", from_version=1, to_version=2, user="u" * 4000,
                 reason="why " * 3000, kind="manual", action="promote")
    text = long.to_tag()
    assert len(text) <= audit.MAX_TAG_CHARS and json.loads(text)["reason"].endswith("…")
    assert Entry(**json.loads(_e(1, 2).to_tag())) == _e(1, 2)
    assert audit.read({"audit.000001": "not json", "audit.notes": "{}", "audit.000002": _e(1, 2).to_tag()}) == [
        ("audit.000002", _e(1, 2))]
