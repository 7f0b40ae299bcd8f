"""The temporary Prefect server launched early (before the flows import) is the one the run uses, and it goes
with its record when the run ends, or at exit when no run adopted it."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import psutil
import pytest

from flows import prefect_server
from flows.local_database import ensure_local_database
from tests.conftest import STARTUP_TIMEOUT_S


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    from prefect.context import refresh_global_settings_context
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(STARTUP_TIMEOUT_S))  # as the CLI sets
    refresh_global_settings_context()
    monkeypatch.chdir(tmp_path)
    ensure_local_database()  # the suite's own Prefect home: migrated once, as `coursework run` does first
    # the session's test harness may hold an API URL in the settings context: a plain `coursework run` has none
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        yield tmp_path.resolve()
    monkeypatch.undo()
    refresh_global_settings_context()


def _records(root: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in (root / ".coursework").rglob("*.json")]


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_the_early_server_is_adopted_then_stopped_with_its_record(root):
    prefect_server.launch_early(root)
    pid = prefect_server._early[root].process.pid
    assert [r["pid"] for r in _records(root)] == [pid], "recorded at launch, for the sweep after a kill -9"
    with prefect_server.temporary_api(root) as url:
        assert root not in prefect_server._early
        with urllib.request.urlopen(f"{url}/health", timeout=10) as answer:
            assert answer.status == 200
        assert psutil.Process(pid).is_running() and url.startswith("http://127.0.0.1:")
    assert _gone(pid) and _records(root) == []


def test_an_early_server_no_run_adopted_is_stopped_at_exit(root):
    prefect_server.launch_early(root)
    pid = prefect_server._early[root].process.pid
    prefect_server._stop_unadopted()  # what the exit handler runs
    assert _gone(pid) and _records(root) == [] and not prefect_server._early


def test_no_early_server_where_a_user_api_is_set(root):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):  # as PREFECT_API_URL in the env
        prefect_server.launch_early(root)
    try:
        assert not prefect_server._early and _records(root) == []
    finally:
        prefect_server._stop_unadopted()  # a server launched by mistake must not outlive the test
