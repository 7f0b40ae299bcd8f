"""Retries: a transient failure is tried again with back-off as params.yaml's `retries:` says; the user's or the
data's fault is attempted once."""

from __future__ import annotations

import hashlib
import http.server
import sqlite3
import ssl
import subprocess
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import yaml

from coursework import download, retrying
from coursework.errors import ConfigError, SourceError, ValidationFailed
from coursework.retrying import RetryPolicy
from tests.servers import free_port
from tests.support import console, iris_frame

BODY = iris_frame().to_csv(index=False).encode()
SHA = hashlib.sha256(BODY).hexdigest()
FAST = dict(backoff_s=0.01, jitter=0.5)


@contextmanager
def flaky_server(failures: int, tls: tuple[Path, Path] | None = None):
    """A local HTTP(S) server: 503 `failures` times, then the iris CSV; yields (url, requests seen)."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            seen.append(self.path)
            status, body = (503, b"busy") if len(seen) <= failures else (200, BODY)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*map(str, tls))
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}/iris.csv", seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_fetch_that_fails_twice_then_serves_succeeds_on_the_third_try(tmp_path):
    with flaky_server(failures=2) as (url, seen):
        path = download.fetch_checked(url, SHA, tmp_path, RetryPolicy(fetch=3, **FAST))
    assert path.read_bytes() == BODY
    assert len(seen) == 3


def test_with_one_retry_the_same_fetch_fails_clearly_after_two_attempts(tmp_path):
    with flaky_server(failures=2) as (url, seen):
        with pytest.raises(SourceError, match=r"HTTP 503 \(2 attempts; retries.fetch") as info:
            download.fetch_checked(url, SHA, tmp_path, RetryPolicy(fetch=1, **FAST))
    assert len(seen) == 2
    assert "127.0.0.1" in str(info.value) and list(tmp_path.iterdir()) == []  # nothing half-written left


@pytest.fixture
def tls_pair(tmp_path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, trusted by the CLI through REQUESTS_CA_BUNDLE."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def test_through_the_cli_retries_1_stops_at_ingest_with_exit_2(prefect_harness, project_root, tls_pair, monkeypatch):
    from prefect.settings import PREFECT_API_URL

    params = yaml.safe_load((project_root / "params.yaml").read_text())
    params["retries"] = {"fetch": 1, "steps": 2, **FAST}
    (project_root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_pair[0]))
    with flaky_server(failures=2, tls=tls_pair) as (url, seen):
        done = console(project_root, "run", "iris_knn", "--source", f"{url}#sha256={SHA}",
                       api_url=PREFECT_API_URL.value())  # the session's server: no server start in the CLI
    assert done.returncode == 2, done.stderr
    assert "HTTP 503 (2 attempts" in done.stderr and "Traceback" not in done.stderr + done.stdout
    assert len(seen) == 2  # the fetch's own retries only: a SourceError is never retried again as a step


@pytest.mark.parametrize("exc, expected", [
    (requests.ConnectionError("refused"), True),
    (requests.HTTPError(response=type("R", (), {"status_code": 503})()), True),
    (requests.HTTPError(response=type("R", (), {"status_code": 404})()), False),
    (sqlite3.OperationalError("database is locked"), True),
    (sqlite3.OperationalError("no such table: runs"), False),
    (ValidationFailed("iris_knn", []), False),
    (ConfigError("params.yaml is not valid"), False),
    (ValueError("a bug"), False),
], ids=["connection", "5xx", "4xx", "db-locked", "db-schema", "validation", "config", "bug"])
def test_which_failures_are_transient(exc, expected):
    assert retrying.transient(exc) is expected


def test_an_mlflow_error_is_transient_only_when_the_server_says_so():
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, TEMPORARILY_UNAVAILABLE

    assert retrying.transient(MlflowException("down", error_code=TEMPORARILY_UNAVAILABLE))
    assert not retrying.transient(MlflowException("bad", error_code=INVALID_PARAMETER_VALUE))
    assert not retrying.transient(MlflowException("no code given"))


def test_a_users_error_raised_from_a_transient_one_is_not_retried():
    try:
        try:
            raise requests.ConnectionError("refused")
        except requests.ConnectionError as cause:
            raise SourceError("could not download") from cause
    except SourceError as exc:
        assert not retrying.transient(exc)


def test_a_bare_count_sets_both_kinds_and_the_block_its_own():
    assert retrying.policy({"retries": 2}) == RetryPolicy(fetch=2, steps=2)
    assert retrying.policy({"retries": {"fetch": 5, "backoff_s": 3}}) == RetryPolicy(fetch=5, backoff_s=3.0)
    assert retrying.policy({}) == RetryPolicy()


def _write_params(root: Path, steps: int) -> None:
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["retries"] = {"fetch": 0, "steps": steps, **FAST}
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.fixture
def counted(monkeypatch):
    """validate_frame counted; the validate step's MLflow logging replaced by one that is locked the first time."""
    from flows import data_flow

    calls = {"validate": 0, "log": 0}
    real = data_flow.validate.validate_frame

    def validate_frame(*args, **kwargs):
        calls["validate"] += 1
        return real(*args, **kwargs)

    def log_dict(data, name):
        calls["log"] += 1
        if calls["log"] == 1:
            raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(data_flow.validate, "validate_frame", validate_frame)
    monkeypatch.setattr(data_flow.tracking, "log_dict", log_dict)
    monkeypatch.setattr(data_flow.tracking, "set_tags", lambda tags: None)
    return calls


def test_a_step_that_hit_a_locked_database_runs_again(prefect_harness, project_root, counted):
    from flows.data_flow import data_flow

    _write_params(project_root, steps=2)
    result = data_flow("iris_knn", params_path=str(project_root / "params.yaml"), root=str(project_root))
    # the first attempt met the lock, the second passed (reusing the pass the first recorded: same bytes, same suite)
    assert counted == {"validate": 1, "log": 2}
    assert (project_root / "data" / "iris_knn" / "raw.csv").is_file() and result["data_hash"]


def test_a_validation_failure_is_attempted_once(prefect_harness, project_root, counted, tmp_path):
    from flows.data_flow import data_flow

    _write_params(project_root, steps=2)
    counted["log"] = 1  # no lock this time: only the expectations fail
    frame = iris_frame()
    frame.loc[7, "species"] = "iris-unknown"
    frame.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValidationFailed):
        data_flow("iris_knn", source=str(tmp_path / "bad.csv"), params_path=str(project_root / "params.yaml"),
                  root=str(project_root))
    assert counted["validate"] == 1
