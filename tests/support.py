"""Helpers the test modules share (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PARAMS = REPO / "params.yaml"
COURSEWORK = Path(sys.executable).with_name("coursework")  # the console script in this venv


def console(root: Path, *args: str, api_url: str | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """The real `coursework` process in `root`, as a user's shell starts it (no MLflow settings from the env)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    if api_url:
        env["PREFECT_API_URL"] = api_url  # the session's harness server: no second server to start
    return subprocess.run([str(COURSEWORK), *map(str, args)], cwd=root, env=env, capture_output=True, text=True,
                          timeout=timeout)


def iris_frame():
    """The iris frame the default loader gives (species names as labels)."""
    from pipelines._shared.data import iris_frame as load

    return load()


def registry_state(task: str, root: Path) -> dict:
    """What must not change when a bad batch is rejected: versions, champion, the validated snapshot."""
    from coursework import tracking

    tracking.configure(root)
    champion = tracking.alias_version(task)
    raw = root / "data" / task / "raw.csv"
    return {
        "versions": tracking.registered_versions(task),
        "champion": champion["version"] if champion else None,
        "raw": raw.read_bytes() if raw.exists() else None,
    }
