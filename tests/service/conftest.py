"""A project with trained tasks, and a real `coursework app` process over it, shared by the app's tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import make_root
from tests.servers import free_port, stop, wait_healthy
from tests.support import COURSEWORK, PARAMS

APP_TASKS = ("iris_knn", "mnist_dense")  # a form task and a 28x28 digit task
APP_MAX_MB = 1  # the app's upload limit in these tests: a 1.5 MB file is over it without a big write


def small_params() -> dict:
    """params.yaml with mnist_dense cut to 2 epochs; its gate lowered so the short run still becomes champion."""
    params = yaml.safe_load(PARAMS.read_text())
    params["mnist_dense"]["models"]["dense"]["epochs"] = 2
    params["mnist_dense"]["gate"] = {"min": {"accuracy": 0.5}}  # the app serves whatever is champion
    return params


@pytest.fixture(scope="session")
def app_project(prefect_harness, tmp_path_factory, mlflow_store_template) -> Path:
    """A project root where iris_knn ran twice (v1 champion, v2 challenger) and mnist_dense once."""
    from flows.task_flow import task_flow

    with pytest.MonkeyPatch.context() as mp:
        root = make_root(tmp_path_factory.mktemp("app-project"), mp, mlflow_store_template)
        (root / "params.yaml").write_text(yaml.safe_dump(small_params(), sort_keys=False))
        for task in ("iris_knn", "iris_knn", "mnist_dense"):
            task_flow(task, params_path=str(root / "params.yaml"), root=str(root))
        yield root


@pytest.fixture(scope="session")
def app_url(app_project, tmp_path_factory) -> str:
    """`coursework app` on a free port of 127.0.0.1, as a user starts it; stopped (its process group) at the end."""
    port = free_port()
    log = tmp_path_factory.mktemp("app-log") / "app.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    with log.open("w") as sink:
        proc = subprocess.Popen([str(COURSEWORK), "app", "--port", str(port), "--max-mb", str(APP_MAX_MB)],
                                cwd=app_project, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(f"{url}/_stcore/health", proc, log)
        yield url
    finally:
        stop(proc)
