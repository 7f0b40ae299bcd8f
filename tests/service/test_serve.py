"""`coursework serve`: MLflow's scoring server over the champion, as a user starts and stops it.

The module trains iris_knn twice (v1 champion by its gate, v2 with k=1 a challenger), then runs the real
`coursework serve` process on free ports of 127.0.0.1, and checks every server it started is gone.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd
import psutil
import pytest
import yaml

from tests.cli.test_predict import _model_folder
from tests.servers import free_port, stop, wait_healthy
from tests.support import COURSEWORK, console, iris_frame

TASK = "iris_knn"


@pytest.fixture(scope="module")
def trained(prefect_harness, module_root, cli):
    """v1 (the params' k=3) becomes champion; v2 (k=1, from the same snapshot) passes its gate as challenger."""
    assert cli("run", TASK).exit_code == 0
    params = yaml.safe_load((module_root / "params.yaml").read_text())
    params[TASK]["models"]["knn"]["n_neighbors"] = 1
    (module_root / "k1.yaml").write_text(yaml.safe_dump(params))
    result = cli("run", TASK, "--params", module_root / "k1.yaml", "--from-snapshot")
    assert result.exit_code == 0 and "challenger" in result.output, result.output
    return module_root


@pytest.fixture(scope="module")
def rows(trained) -> tuple[pd.DataFrame, Path]:
    """Rows spread over the three species, as a CSV for `coursework predict` too."""
    frame = iris_frame().drop(columns="species").iloc[::15].reset_index(drop=True)
    path = trained / "rows.csv"
    frame.to_csv(path, index=False)
    return frame, path


@contextmanager
def serving(root: Path, port: int, task: str = TASK) -> Iterator[subprocess.Popen]:
    """`coursework serve TASK --port PORT`, its own session like a shell job; stopped (SIGTERM) if still running."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    with (root / "serve.out").open("w") as sink, (root / "serve.err").open("w") as log:
        proc = subprocess.Popen([str(COURSEWORK), "serve", task, "--port", str(port)], cwd=root, env=env,
                                stdout=sink, stderr=log, start_new_session=True)
    try:
        yield proc
    finally:
        stop(proc)


def _invocations(port: int, frame: pd.DataFrame) -> list:
    body = json.dumps({"dataframe_split": frame.to_dict(orient="split", index=False)}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        return json.loads(response.read())["predictions"]


def _predict(cli, path: Path, task: str = TASK) -> list:
    """`coursework predict` on the same rows (in-process: one CLI start less on a loaded machine)."""
    result = cli("predict", task, path)
    assert result.exit_code == 0, result.output
    return pd.read_csv(io.StringIO(result.stdout))["prediction"].tolist()


def _wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def _serve_and_check(root: Path, cli, rows, version: int, stop_with: int, task: str = TASK) -> list:
    """A serve answers /ping and /invocations like `coursework predict`, names its version, and leaves nothing."""
    frame, path = rows
    port = free_port()
    with serving(root, port, task) as proc:
        wait_healthy(f"http://127.0.0.1:{port}/ping", proc, root / "serve.err")
        server = psutil.Process(proc.pid).children(recursive=True)
        assert server and any("models" in p.cmdline() and "serve" in p.cmdline() for p in server)
        predictions = _invocations(port, frame)
        assert len(predictions) == len(frame)
        assert predictions == _predict(cli, path, task)
        line = f"serving {task} v{version} (champion at start) at http://127.0.0.1:{port}/invocations"
        _wait_for(lambda: line in (root / "serve.out").read_text())  # printed once its own /ping answered
        os.kill(proc.pid, stop_with)
        code = proc.wait(60)
    assert (code == 0) if stop_with == signal.SIGINT else (code == -signal.SIGKILL)
    gone, alive = psutil.wait_procs(server, timeout=30)  # SIGKILL: the kernel's parent-death signal stops it
    assert not alive, [p.cmdline() for p in alive]
    assert (root / ".coursework" / "serve" / task / f"v{version}" / "MLmodel").is_file()
    return predictions


def test_serve_answers_ping_and_invocations_like_predict(trained, cli, rows):
    _serve_and_check(trained, cli, rows, version=1, stop_with=signal.SIGINT)  # Ctrl-C stops it cleanly: exit 0


def _refused(result, code: int, *words: str) -> None:
    """Exit `code`, the words said, no traceback: for a finished process or an in-process CLI result."""
    if isinstance(result, subprocess.CompletedProcess):
        code_found, said = result.returncode, result.stderr + result.stdout
    else:
        code_found, said = result.exit_code, result.output
    assert code_found == code, said
    assert "Traceback" not in said and all(w in said for w in words), said


def test_a_tampered_champion_is_not_served(trained):
    """A real process (with a timeout): were the check gone, an in-process call would serve and never return."""
    folder = _model_folder(trained)
    target = folder / "model.skops"
    data = target.read_bytes()
    target.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    port = free_port()
    try:
        proc = console(trained, "serve", TASK, "--port", str(port))
    finally:
        target.write_bytes(data)
    _refused(proc, 4, "model.skops: sha256", "not loaded")
    assert "serving" not in proc.stdout
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2)


def test_unknown_task_and_no_champion_exit_2(trained, cli):
    _refused(cli("serve", "iris_knnn", "--port", free_port()), 2, "unknown task 'iris_knnn'")
    _refused(cli("serve", "iris_tree", "--port", free_port()), 2, "iris_tree has no champion")


def test_a_taken_port_exits_2(trained, cli):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        _refused(cli("serve", TASK, "--port", port), 2, f"port {port}", "taken")


def test_an_alias_move_takes_effect_when_serve_restarts(trained, cli, rows):
    result = cli("promote", TASK, "2", "--reason", "serve test: k=1")
    assert result.exit_code == 0, result.output
    _serve_and_check(trained, cli, rows, version=2, stop_with=signal.SIGKILL)  # killed: its server still goes


@pytest.mark.slow
def test_a_keras_champion_answers_invocations(trained, cli):
    """wine_dense: the Keras network behind the served wrapper (keras_pyfunc.py) answers like predict."""
    from sklearn.datasets import load_wine

    assert cli("run", "wine_dense").exit_code == 0
    wine = load_wine(as_frame=True).frame.iloc[::20].reset_index(drop=True)
    path = trained / "wine.csv"
    wine.drop(columns="target").to_csv(path, index=False)
    predictions = _serve_and_check(trained, cli, (wine.drop(columns="target"), path), version=1,
                                   stop_with=signal.SIGINT, task="wine_dense")
    assert sum(int(p) == t for p, t in zip(predictions, wine["target"])) >= 0.8 * len(wine)  # a trained net, not noise
