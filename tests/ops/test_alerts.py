"""Alerts: real `coursework` runs and a real Prefect server post each event to a local webhook receiver.

The receiver is an http.server on a free port of 127.0.0.1; its URL carries a secret token that must
appear in no payload and no console line. Every run is the real console script against the session's
Prefect harness; the late-run automation runs on a Prefect server of its own.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from tests.servers import free_port, prefect_server
from tests.support import PARAMS, console, iris_frame, registry_state

TASK = "iris_knn"
SECRET = "T0SECRET-b7f3"  # in every webhook URL: must never show up in a payload or the console
HOOK_ENV, UNSET_ENV = "COURSEWORK_TEST_WEBHOOK", "COURSEWORK_TEST_UNSET_WEBHOOK"
FAILING_FILE = ".coursework/failing-webhook.url"  # a git-ignored file holding a URL that answers 500


class Receiver:
    """Records every JSON POST; the path /fail answers 500, anything else 200."""

    def __init__(self):
        self.posts: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                with outer.lock:
                    outer.posts.append((self.path, {"raw": body, "type": self.headers.get("Content-Type")}))
                self.send_response(500 if self.path.startswith("/fail") else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def take(self) -> list[dict]:
        """The payloads received so far (each checked to be JSON without the secret), then forget them."""
        with self.lock:
            posts, self.posts = self.posts, []
        for _, post in posts:
            assert post["type"] == "application/json" and SECRET not in post["raw"], post
        return [dict(json.loads(post["raw"]), _path=path) for path, post in posts]

    def wait(self, event: str, timeout: float) -> list[dict]:
        deadline, seen = time.monotonic() + timeout, []
        while time.monotonic() < deadline:
            seen += self.take()
            if any(p["event"] == event for p in seen):
                return seen
            time.sleep(0.5)
        return seen


@pytest.fixture(scope="module")
def receiver():
    rec = Receiver()
    thread = threading.Thread(target=rec.server.serve_forever, daemon=True)
    thread.start()
    yield rec
    rec.server.shutdown()
    rec.server.server_close()


NOTIFY = {"webhooks": [
    {"env": HOOK_ENV, "events": ["run_failed", "validation_failed", "gate_missed", "champion_changed",
                                 "scheduled_run_late"]},
    {"env": UNSET_ENV, "events": ["run_failed", "validation_failed", "gate_missed", "champion_changed"]},
    {"file": FAILING_FILE, "events": ["champion_changed"]},
]}


def _params(root, name: str, edit=None) -> str:
    params = yaml.safe_load(PARAMS.read_text())
    params["notify"] = NOTIFY
    if edit:
        edit(params)
    (root / name).write_text(yaml.safe_dump(params, sort_keys=False))
    return name


@pytest.fixture(scope="module")
def root(prefect_harness, module_root, receiver):
    """A project root whose params.yaml has a notify block: one good webhook, one unset, one that answers 500."""
    _params(module_root, "params.yaml")
    (module_root / ".coursework").mkdir(exist_ok=True)
    (module_root / FAILING_FILE).write_text(f"{receiver.url}/fail/{SECRET}\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(HOOK_ENV, f"{receiver.url}/hook/{SECRET}?token={SECRET}")
        mp.delenv(UNSET_ENV, raising=False)
        yield module_root


@pytest.fixture(scope="module")
def api_url(prefect_harness):
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


def _ran(proc, code: int) -> str:
    text = proc.stdout + proc.stderr
    assert proc.returncode == code, text
    assert "Traceback" not in text and SECRET not in text, text
    return text


def _ran_here(result, code: int) -> None:
    """An in-process run (the same CLI and flows, without another ~20 s of imports)."""
    assert result.exit_code == code, result.output
    assert SECRET not in result.output, result.output


def _only(payloads: list[dict], event: str) -> list[dict]:
    """The payloads of one event, after checking that no other event was sent."""
    assert {p["event"] for p in payloads} == {event}, payloads
    return payloads


def test_a_webhook_url_in_params_is_refused_naming_the_key(tmp_path):
    params = yaml.safe_load(PARAMS.read_text())
    params["notify"] = {"webhooks": [{"url": f"https://hooks.slack.com/services/{SECRET}", "events": ["gate_missed"]}]}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    text = _ran(console(tmp_path, "list"), 2)
    assert "notify.webhooks.0.url" in text and "environment variable" in text, text


@pytest.mark.parametrize("hook, where", [
    ({"env": f"https://hooks.slack.com/{SECRET}", "events": ["run_failed"]}, "notify.webhooks.0.env"),
    ({"env": "A_VAR", "file": "hook.url", "events": ["run_failed"]}, "notify.webhooks.0"),
    ({"env": "A_VAR", "events": ["run_late"]}, "notify.webhooks.0.events.0"),
    ({"env": "A_VAR", "events": []}, "notify.webhooks.0.events"),
])
def test_notify_schema_names_the_key_and_never_echoes_a_url(hook, where):
    from coursework.params_schema import schema_problems

    problems = schema_problems({"notify": {"webhooks": [hook]}})["notify"]
    assert len(problems) == 1 and problems[0].startswith(f"{where}:") and SECRET not in problems[0], problems


def test_unset_and_git_tracked_secrets_are_warned_about_once_each(tmp_path, monkeypatch):
    from coursework import notify

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "hook.url").write_text(f"http://127.0.0.1:9/{SECRET}\n")
    (tmp_path / "p.yaml").write_text(yaml.safe_dump({"notify": {"webhooks": [
        {"file": "hook.url", "events": ["gate_missed"]}, {"env": UNSET_ENV, "events": ["gate_missed"]}]}}))
    monkeypatch.delenv(UNSET_ENV, raising=False)
    monkeypatch.setattr(notify, "_warned", set())
    warnings: list[str] = []
    for _ in range(2):
        found = notify.targets(tmp_path, tmp_path / "p.yaml", "gate_missed", warnings.append)
        assert [(t.label, t.url) for t in found] == [("file hook.url", f"http://127.0.0.1:9/{SECRET}")]
    assert len(warnings) == 2 and "git does not ignore it" in warnings[0] and "is not set" in warnings[1], warnings
    assert notify.targets(tmp_path, tmp_path / "p.yaml", "run_failed", warnings.append) == []  # not subscribed
    (tmp_path / ".gitignore").write_text("hook.url\n")
    monkeypatch.setattr(notify, "_warned", set())
    warnings.clear()
    notify.targets(tmp_path, tmp_path / "p.yaml", "gate_missed", warnings.append)
    assert len(warnings) == 1 and "is not set" in warnings[0], warnings
    assert SECRET not in " ".join(warnings)


def test_urls_in_a_payload_lose_their_password_and_query():
    from coursework import notify

    p = notify.payload("run_failed", TASK, f"cannot read https://me:{SECRET}@data.example/x.csv?sig={SECRET}",
                       source=f"https://data.example/x.csv?sig={SECRET}")
    assert SECRET not in json.dumps(p) and "data.example/x.csv" in p["text"] and p["event"] == "run_failed"


def test_promotions_alert_champion_changed_and_a_dead_webhook_is_a_warning(root, api_url, receiver):
    """Two tasks promoted in one run: one alert each; the unset variable is warned about once; a 500 is a warning."""
    text = _ran(console(root, "run", TASK, "iris_naive_bayes", api_url=api_url), 0)
    payloads = _only(receiver.take(), "champion_changed")
    from coursework import tracking

    tracking.configure(root)
    assert sorted(p["_path"].split("/")[1] for p in payloads) == ["fail", "fail", "hook", "hook"]
    assert text.count(f"{UNSET_ENV} is not set") == 1, text
    assert text.count(f"champion_changed to file {FAILING_FILE} not sent (HTTP 500)") == 2, text

    for task in (TASK, "iris_naive_bayes"):
        sent = [p for p in payloads if p["task"] == task and p["_path"].startswith("/hook")]
        champion = tracking.alias_version(task)
        assert len(sent) == 1 and champion is not None
        p = sent[0]
        assert (p["from_version"], p["to_version"], p["kind"]) == (None, int(champion["version"]), "gate")
        assert p["metric"] == "accuracy" and p["value"] == pytest.approx(champion["metrics"]["accuracy"])
        assert p["user"] and "meet the gate" in p["reason"] and p["text"].startswith("coursework: ")


def test_a_missed_gate_alerts_with_version_metric_and_reasons(root, cli, receiver):
    name = _params(root, "strict.yaml", lambda p: p[TASK]["gate"].update({"min": {"accuracy": 0.999}}))
    _ran_here(cli("run", TASK, "--params", name), 1)
    (p,) = _only(receiver.take(), "gate_missed")
    from coursework import tracking

    newest = max(registry_state(TASK, root)["versions"])
    logged = tracking.alias_version(TASK, alias="challenger")
    assert p["task"] == TASK and p["version"] == newest == int(logged["version"]) and p["alias"] == "challenger"
    assert p["metric"] == "accuracy" and p["value"] == pytest.approx(logged["metrics"]["accuracy"])
    assert p["gate"] == {"min": {"accuracy": 0.999}}
    assert any("below the gate's minimum 0.999" in r for r in p["reasons"]) and p["flow_run_id"]


def test_a_validation_failure_alerts_with_the_failed_expectations(root, cli, receiver):
    iris_frame().drop(columns="petal_width").to_csv(root / "no_petal_width.csv", index=False)
    _ran_here(cli("run", TASK, "--source", "no_petal_width.csv"), 3)
    (p,) = _only(receiver.take(), "validation_failed")
    assert p["task"] == TASK and p["exit_code"] == 3 and p["source"].endswith("no_petal_width.csv")
    assert {"expectation": "expect_column_to_exist", "column": "petal_width"} in p["failures"]
    assert p["quarantine"] and p["state"] == "Failed" and p["flow_run_id"]


def test_any_other_failed_run_alerts_run_failed(root, cli, receiver):
    data = iris_frame().to_csv(index=False).encode()
    (root / "cut.csv").write_bytes(data[: len(data) // 2 - 7])  # truncated mid-row: refused at ingest, exit 2
    _ran_here(cli("run", TASK, "--source", "cut.csv"), 2)
    (p,) = _only(receiver.take(), "run_failed")
    assert p["task"] == TASK and (p["error_kind"], p["exit_code"]) == ("SourceError", 2)
    assert "truncated" in p["message"] and p["flow_run_id"]


def test_a_hand_promotion_and_rollback_alert_through_the_same_webhooks(root, cli, receiver, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")
    champion = int(registry_state(TASK, root)["champion"])
    newest = max(registry_state(TASK, root)["versions"])  # the challenger that missed its strict gate
    _ran_here(cli("promote", TASK, str(newest), "--force", "--reason", "accepted by hand"), 0)
    _ran_here(cli("rollback", TASK, "--reason", "rollback: drifted"), 0)
    payloads = _only(receiver.take(), "champion_changed")
    hook = [p for p in payloads if p["_path"].startswith("/hook")]
    assert len(payloads) == 4 and len(hook) == 2  # the dead webhook got both too, and answered 500
    moves = [(p["from_version"], p["to_version"], p["kind"], p["user"], p["reason"]) for p in hook]
    assert moves == [(champion, newest, "manual", "alice", "accepted by hand"),
                     (newest, champion, "manual", "alice", "rollback: drifted")]
    assert f"from version {newest} to version {champion}" in hook[1]["text"]


@contextmanager
def _late_run(api: str, task: str):
    """A deployment of the task flow with no worker, and a run of it scheduled a minute ago; yields the run id."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.states import Scheduled

    with temporary_settings({PREFECT_API_URL: api}), get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name("coursework-task")
        deployment = client.create_deployment(flow_id=flow_id, name=f"{task}-nightly", parameters={"task": task})
        when = datetime.now(timezone.utc) - timedelta(minutes=1)
        yield client.create_flow_run_from_deployment(deployment, state=Scheduled(scheduled_time=when)).id


def test_a_scheduled_run_that_does_not_start_alerts_from_the_server(root, receiver, tmp_path):
    """The automation lives on the Prefect server: the late-runs service marks the run Late, the server sends."""
    from flows import alerts

    fast = {"PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS": "1",
            "PREFECT_SERVER_SERVICES_LATE_RUNS_LOOP_SECONDS": "1",
            "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false"}
    with prefect_server(tmp_path / "prefect", env=fast) as api:
        alerts.ensure_automations(api, root / "params.yaml", root)
        names = alerts.ensure_automations(api, root / "params.yaml", root)  # again: replaced, not doubled
        assert names == [f"{alerts.LATE_AUTOMATION} -> env {HOOK_ENV}"]
        receiver.take()
        with _late_run(api, TASK) as run_id:
            payloads = receiver.wait("scheduled_run_late", timeout=60)
    (p,) = _only(payloads, "scheduled_run_late")
    assert (p["task"], p["deployment"], p["flow_run_id"], p["state"]) == (TASK, f"{TASK}-nightly", str(run_id), "Late")
    assert p["text"].startswith("coursework: scheduled run") and "did not start" in p["text"]
    assert datetime.fromisoformat(p["expected_start_time"]) < datetime.now(timezone.utc)
