"""Shared fixtures: isolated project roots, one Prefect test harness per session, the CLI runner."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

# Before Prefect, GX or MLflow is imported anywhere: no telemetry from a machine that may have no
# network, a Prefect home of the suite's own (the local SQLite DB locks when shared), and a wide
# console so rich tables are never cut in captured output.
os.environ.update({
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    "PREFECT_HOME": tempfile.mkdtemp(prefix="coursework-tests-prefect-"),
    "COLUMNS": "200",
})

import pytest  # noqa: E402

from tests.support import PARAMS  # noqa: E402

STARTUP_TIMEOUT_S = 180  # the first start migrates Prefect's SQLite DB; a shared 2-core box is slow


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False, help="also run tests marked slow")


# The fast tier (`pytest -m fast`): pure functions, contracts read from the repository, and CLI argument
# handling that is refused before any flow, server or training starts. Whole folders and modules here;
# single tests in a mixed module carry `@pytest.mark.fast` themselves.
FAST_FOLDERS = {"unit"}
FAST_MODULES = {
    "pipelines/test_contract.py", "pipelines/test_titanic_features.py",
    "dvc/test_contract.py", "dvc/test_versioning.py",
    "deep/test_loaders.py", "tune/test_study.py",
}
# A fast test that asks for one of these is not fast: collection stops and names it.
SLOW_FIXTURES = {"prefect_harness", "module_root", "postgres", "env"}
TESTS = Path(__file__).parent


def _mark_fast(item) -> None:
    """Mark the fast tier by folder or module, and refuse a fast test that starts the slow machinery."""
    rel = Path(str(item.path)).relative_to(TESTS).as_posix()
    if rel.split("/")[0] in FAST_FOLDERS or rel in FAST_MODULES:
        item.add_marker(pytest.mark.fast)
    heavy = SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
    if item.get_closest_marker("fast") and heavy:
        raise pytest.UsageError(f"{item.nodeid} is marked fast but uses {sorted(heavy)}")


def pytest_collection_modifyitems(config, items):
    for item in items:
        _mark_fast(item)
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: pass --run-slow to run it")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def prefect_harness():
    """Flows run against a throw-away Prefect API and SQLite DB for the whole session."""
    # Prefect binds its console log handler to whatever sys.stderr is when prefect.main is first
    # imported; import it here, not inside a CliRunner call whose stream closes after the call.
    import prefect.main  # noqa: F401
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=STARTUP_TIMEOUT_S):
        yield


@pytest.fixture(scope="session")
def mlflow_store_template(tmp_path_factory) -> Path:
    """An empty, migrated MLflow SQLite store made once by the project's own code, copied per root.

    Creating MLflow's tables takes ~10 s on a loaded 2-core machine; every isolated root starts from
    this copy instead of migrating its own.
    """
    from mlflow import MlflowClient

    from coursework import tracking

    root = tmp_path_factory.mktemp("mlflow-template")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        mp.delenv("MLFLOW_REGISTRY_URI", raising=False)
        tracking.configure(root)
        MlflowClient().search_experiments()
    return root / tracking.STORE_DIR / "mlflow.db"


def make_root(path: Path, mp: pytest.MonkeyPatch, template: Path) -> Path:
    """A project root of its own: params.yaml, an empty MLflow store, cwd, no tracking URI from the env."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy2(PARAMS, path / "params.yaml")
    (path / "mlruns").mkdir(exist_ok=True)
    shutil.copy2(template, path / "mlruns" / "mlflow.db")
    mp.chdir(path)
    mp.delenv("MLFLOW_TRACKING_URI", raising=False)
    mp.delenv("MLFLOW_REGISTRY_URI", raising=False)
    return path


@pytest.fixture
def project_root(tmp_path, monkeypatch, mlflow_store_template) -> Path:
    """An isolated project root for one test."""
    return make_root(tmp_path / "project", monkeypatch, mlflow_store_template)


@pytest.fixture(scope="module")
def module_root(tmp_path_factory, mlflow_store_template):
    """An isolated project root shared by one test module (so the good run happens once)."""
    with pytest.MonkeyPatch.context() as mp:
        yield make_root(tmp_path_factory.mktemp("project"), mp, mlflow_store_template)


@pytest.fixture(scope="session")
def cli():
    """Invoke `coursework ...` in-process through its typer app (the console script's entry point)."""
    from typer.testing import CliRunner

    from coursework.cli import app

    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, [str(a) for a in args])

    return invoke


@pytest.fixture
def postgres():
    """A throw-away PostgreSQL cluster on a free port, and its SQLAlchemy URI (see tests/servers.py)."""
    from tests.servers import postgres_cluster

    pytest.importorskip("psycopg2", reason="no PostgreSQL driver installed")
    if not shutil.which("initdb"):
        pytest.skip("PostgreSQL is not installed")
    with postgres_cluster() as uri:
        yield uri
