"""tracking_serve: the champion's files in a checked folder of their own, for MLflow's scoring server to serve.

`coursework serve` reads the alias once, at start: the copy under .coursework/serve/<task>/v<version>/
is what the server loads, so a later alias move takes effect when serve restarts.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from mlflow.exceptions import MlflowException

from coursework import artifacts, fsutil, tracking
from coursework.errors import CourseworkError
from coursework.tracking_client import mlflow_client

SERVE_DIR = Path(".coursework") / "serve"  # under the project root the CLI runs in


def champion_version(task: str) -> int:
    """The version `champion` points at now; a task without one is the user's to fix (exit 2)."""
    try:
        return int(mlflow_client().get_model_version_by_alias(task, "champion").version)
    except MlflowException:
        raise CourseworkError(f"{task} has no champion yet; run `coursework run {task}`") from None


def _sweep(task_dir: Path) -> None:
    """Download folders a killed serve left (their owner process is gone); a live serve's are left alone."""
    for folder in task_dir.glob(".download.*"):
        if folder.is_dir() and fsutil.folder_owner_dead(folder):
            shutil.rmtree(folder, ignore_errors=True)


def serving_copy(task: str, root: Path) -> tuple[int, Path]:
    """models:/TASK@champion downloaded, every file checked against its registered sha256, then renamed into place.

    The store is read and checked on every start (a tampered store is refused with exit 4, whatever an
    earlier copy holds); a copy that already matches is kept as it is, since another serve may be loading it.
    """
    version = champion_version(task)
    final = Path(root) / SERVE_DIR / task / f"v{version}"
    _sweep(final.parent)
    staged = fsutil.run_dir(final.parent, ".download")
    try:
        what = f"models:/{task}@champion (version {version})"
        with tracking.verified_copy(task, version, what=what, parent=staged) as local:
            if final.is_dir() and artifacts.hash_tree(final) == artifacts.hash_tree(local):
                return version, final
            fsutil.swap_dir(local, final)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return version, final
