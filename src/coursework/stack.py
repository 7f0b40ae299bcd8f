"""stack: the processes of `coursework up` (Prefect's server, its workers, an MLflow server, the warm runner), started and stopped.

Each service runs in a session of its own (so its whole process group can be stopped, uvicorn children
included), writes to a log under .coursework/logs/, and is recorded in the stack file with its start time
so a recycled pid is never taken for it. No Prefect or MLflow import here: they are other processes.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from coursework import stackfile, warm
from coursework.errors import CourseworkError
from coursework.fsutil import atomic_write_text, process_start
from coursework.stackfile import Service
from coursework.urls import redact_url

LOGS = Path(".coursework") / "logs"
PREFECT_HOME = Path(".coursework") / "prefect"
POOL = "coursework"
DATABASE_FILE = Path(".coursework") / "stack-database"  # the full URL, mode 0600: the state file has it redacted
LOOPBACK = "127.0.0.1"
MIN_PASSWORD = 12  # mlflow.server.auth refuses a shorter admin password
PSYCOPG2 = "postgresql+psycopg2"  # the locked driver; SQLAlchemy 2.1 takes a bare postgresql:// as psycopg 3


class StackDown(CourseworkError):
    """A service of the stack did not become healthy, or is no longer: EX_UNAVAILABLE."""

    exit_code = warm.EX_UNAVAILABLE  # the code the runner's client exits with too


@dataclass(frozen=True)
class Plan:
    """What `coursework up` was asked for, checked."""

    root: Path
    workers: int
    host: str
    prefect_port: int
    mlflow_port: int
    database: str | None  # a postgresql:// URL (secret) or None for the project's SQLite stores

    @property
    def auth(self) -> bool:
        """Bound beyond this machine: MLflow's basic-auth app guards the registry."""
        return self.host != LOOPBACK


def check_database(url: str) -> str:
    """The URL if it is postgresql:// with a host and a database name; refused (exit 2) otherwise."""
    parts = urlsplit(url)
    if parts.scheme.split("+")[0] not in ("postgresql", "postgres") or not parts.hostname or len(parts.path) < 2:
        raise CourseworkError(f"--database must be postgresql://user:password@host:port/dbname, not {redact_url(url)}")
    return url


def check_credentials(host: str) -> None:
    """Beyond 127.0.0.1 the MLflow server needs an admin: refused (exit 2) without credentials in the env."""
    missing = [k for k in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD") if not os.environ.get(k)]
    if missing:
        raise CourseworkError(f"--host {host} binds beyond 127.0.0.1, so MLflow's basic-auth app guards the "
                              f"registry; set {' and '.join(missing)} (the admin user, and what runs log in as)")
    if len(os.environ["MLFLOW_TRACKING_PASSWORD"]) < MIN_PASSWORD:  # MLflow's auth app refuses to start otherwise
        raise CourseworkError(f"MLFLOW_TRACKING_PASSWORD must be at least {MIN_PASSWORD} characters for MLflow's auth app")


def _with_scheme(url: str, scheme: str, db_suffix: str = "") -> str:
    parts = urlsplit(url)
    return urlunsplit((scheme, parts.netloc, parts.path + db_suffix, parts.query, parts.fragment))


def mlflow_store(plan: Plan) -> str:
    """MLflow's backend store: the named Postgres database, else the project's SQLite store."""
    if plan.database:
        return _with_scheme(plan.database, PSYCOPG2)
    return f"sqlite:///{(plan.root / 'mlruns' / 'mlflow.db').resolve()}"


def prefect_database(plan: Plan) -> str | None:
    """Prefect's database: `<dbname>_prefect` beside MLflow's (both keep an alembic_version table)."""
    return _with_scheme(plan.database, "postgresql+asyncpg", "_prefect") if plan.database else None


def start(plan: Plan, name: str, cmd: list[str], env: dict[str, str], url: str | None = None) -> Service:
    """Start one service in its own session, its output in .coursework/logs/<name>.log."""
    log = (plan.root / LOGS / f"{name}.log").resolve()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as sink:
        proc = subprocess.Popen(cmd, cwd=plan.root, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    return Service(name=name, pid=proc.pid, started=process_start(proc.pid), url=url, log=str(log))


def _base_env(extra: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", **extra}
    env.pop("PREFECT_API_URL", None)
    return env


def start_prefect(plan: Plan) -> Service:
    """`prefect server start` with its home (and SQLite database) under .coursework/prefect/."""
    extra = {"PREFECT_HOME": str((plan.root / PREFECT_HOME).resolve())}
    if plan.database:
        extra["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = prefect_database(plan)
    cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", plan.host, "--port", str(plan.prefect_port)]
    return start(plan, "prefect-server", cmd, _base_env(extra), url=f"http://{_shown(plan.host)}:{plan.prefect_port}/api")


def auth_config(plan: Plan) -> Path:
    """MLflow's basic-auth settings: users in .coursework/mlflow-auth.db, everyone else may only read."""
    db = (plan.root / ".coursework" / "mlflow-auth.db").resolve()
    text = (f"[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///{db}\nadmin_username = admin\n"
            "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n")
    return atomic_write_text(plan.root / ".coursework" / "mlflow-auth.ini", text).resolve()


def start_mlflow(plan: Plan) -> Service:
    """`mlflow server` over the project's store, serving artefacts so workers need no shared disk."""
    # the store goes through the environment: a password on the command line shows in `ps`
    extra = {"MLFLOW_BACKEND_STORE_URI": mlflow_store(plan)}
    cmd = [sys.executable, "-m", "mlflow", "server", "--host", plan.host, "--port", str(plan.mlflow_port),
           "--workers", "1", "--serve-artifacts",
           "--artifacts-destination", str((plan.root / "mlruns" / "artifacts").resolve())]
    if plan.auth:
        extra.update(MLFLOW_AUTH_CONFIG_PATH=str(auth_config(plan)),
                     MLFLOW_AUTH_ADMIN_USERNAME=os.environ["MLFLOW_TRACKING_USERNAME"],
                     MLFLOW_AUTH_ADMIN_PASSWORD=os.environ["MLFLOW_TRACKING_PASSWORD"],
                     # the auth app's CSRF key: the user's (shared by several servers) or one for this start
                     MLFLOW_FLASK_SERVER_SECRET_KEY=os.environ.get("MLFLOW_FLASK_SERVER_SECRET_KEY") or secrets.token_hex(32))
        cmd += ["--app-name", "basic-auth"]
        extra["MLFLOW_SERVER_ALLOWED_HOSTS"] = os.environ.get("MLFLOW_SERVER_ALLOWED_HOSTS") or allowed_hosts(plan.host)
    return start(plan, "mlflow-server", cmd, _base_env(extra), url=f"http://{_shown(plan.host)}:{plan.mlflow_port}")


def allowed_hosts(host: str) -> str:
    """Host headers MLflow accepts (its guard against DNS rebinding): this machine's names, the bound address, private IPs."""
    names = {"localhost", LOOPBACK, host, socket.gethostname(), socket.getfqdn()}
    private = ["10.*", "192.168.*", *[f"172.{i}.*" for i in range(16, 32)]]
    return ",".join(sorted(f"{n}{port}" for n in names for port in ("", ":*")) + private)


def start_worker(plan: Plan, index: int, api_url: str) -> Service:
    """A process worker of the `coursework` pool, polling the stack's Prefect server."""
    name = f"worker-{index}"
    cmd = [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--type", "process",
           "--name", f"coursework-{name}"]
    return start(plan, name, cmd, {**_base_env({}), "PREFECT_API_URL": api_url})


def start_runner(plan: Plan) -> Service:
    """The warm runner (flows/warm_runner.py): `coursework run` forked after the imports, in this environment."""
    cmd = [sys.executable, "-m", "flows.warm_runner"]
    return start(plan, "runner", cmd, dict(os.environ), url=f"unix:{(plan.root / warm.SOCKET).resolve()}")


def _shown(host: str) -> str:
    """Where a client on this machine reaches a server bound to host (0.0.0.0 answers on loopback)."""
    return LOOPBACK if host in ("0.0.0.0", "::", "") else host



def ensure_prefect_database(plan: Plan) -> None:
    """Create Prefect's `<dbname>_prefect` on the server if it is missing (exit 2 if that is refused)."""
    import sqlalchemy

    target = urlsplit(prefect_database(plan)).path.lstrip("/")
    engine = sqlalchemy.create_engine(_with_scheme(plan.database, PSYCOPG2), poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")  # CREATE DATABASE cannot run in a transaction
            found = conn.execute(sqlalchemy.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target})
            if found.scalar() is None:
                conn.execute(sqlalchemy.text(f'CREATE DATABASE "{target}"'))
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise CourseworkError(f"{redact_url(plan.database)}: cannot reach the database or create {target} "
                              f"for Prefect ({type(getattr(exc, 'orig', None) or exc).__name__})") from None
    finally:
        engine.dispose()


def record_database(root: Path, url: str | None) -> None:
    """Keep the stack's full database URL for this machine's runs (their champion lock), readable by the owner only."""
    target = Path(root) / DATABASE_FILE
    if url is None:
        target.unlink(missing_ok=True)
        return
    atomic_write_text(target, url + "\n")  # a mkstemp file: mode 0600 from the start


def serves_local_store(root: Path, uri: str) -> bool:
    """The tracking URI is this project's running stack on this machine over its SQLite store: the server and
    a run with the stack down share mlruns/, so artefacts can be plain files there."""
    state = stackfile.read(root)
    return (state is not None and state.database == "sqlite" and uri == state.mlflow_tracking_uri
            and urlsplit(uri).hostname == LOOPBACK)


def attach_tracking(root: Path) -> str | None:
    """The running stack's MLflow URL, or None; a Postgres stack also names the champion lock's database."""
    state = stackfile.read(root)
    if state is None:
        return None
    secret = Path(root) / DATABASE_FILE
    if state.database != "sqlite" and secret.is_file():
        os.environ.setdefault("COURSEWORK_LOCK_DATABASE", _with_scheme(secret.read_text().strip(), PSYCOPG2))
    return state.mlflow_tracking_uri
