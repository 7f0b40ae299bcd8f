"""locks: the locks that make a task's champion decision, and a fresh store's migration, one run at a time.

Through a shared PostgreSQL tracking database the lock is a PostgreSQL advisory lock, so runs on several
machines exclude each other; beside a local SQLite store it is a file lock. Either way the wait is
bounded (LockTimeout, exit 75) and a waiting run says so.
"""

from __future__ import annotations

import hashlib
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlparse

from coursework.fsutil import LockTimeout, bounded_lock, lock_timeout

CHAMPION_WAIT_S = 600.0  # a decision takes seconds; a run that waits longer than this is stuck
POLL_S = 0.5


def sqlite_path(uri: str) -> Path | None:
    """The database file of a sqlite:/// URI, or None for any other store."""
    if not uri.startswith("sqlite:///"):
        return None
    return Path(uri[len("sqlite:///"):])


def is_postgres(uri: str) -> bool:
    return urlparse(uri).scheme.split("+")[0] in ("postgresql", "postgres")


def lock_file(uri: str, name: str, fallback_dir: Path) -> Path:
    """A hidden lock file beside the SQLite database (mlruns/.mlflow.db.<name>.lock), else in fallback_dir."""
    db = sqlite_path(uri)
    folder = db.parent if db is not None else Path(fallback_dir)
    stem = db.name if db is not None else "tracking"
    return folder / f".{stem}.{name}.lock"


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock, the same in every process and on every host."""
    return int.from_bytes(hashlib.sha256(f"coursework:{name}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def _advisory_lock(uri: str, name: str, *, what: str, timeout: float,
                   say: Callable[[str], None] | None) -> Iterator[None]:
    """pg_try_advisory_lock polled up to `timeout`; held by this connection, released when it closes."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(uri, poolclass=sqlalchemy.pool.NullPool)
    key = advisory_key(name)
    try:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            take = sqlalchemy.text("SELECT pg_try_advisory_lock(:key)")
            deadline, told = time.monotonic() + timeout, False
            while not conn.execute(take, {"key": key}).scalar():
                if time.monotonic() >= deadline:
                    raise LockTimeout(f"the {what} lock (PostgreSQL advisory lock {key}) is still held after "
                                      f"{timeout:.0f} s; try again when that run has finished")
                if say and not told:
                    say(f"waiting up to {timeout:.0f} s for the {what} lock (PostgreSQL advisory lock {key})")
                    told = True
                time.sleep(POLL_S)
            try:
                yield
            finally:
                conn.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    finally:
        engine.dispose()


@contextmanager
def store_lock(uri: str, name: str, *, what: str, fallback_dir: Path, timeout: float = CHAMPION_WAIT_S,
               say: Callable[[str], None] | None = None) -> Iterator[None]:
    """An exclusive lock named `name` on the tracking store at `uri`: advisory in PostgreSQL, a file otherwise."""
    if is_postgres(uri):
        with _advisory_lock(uri, name, what=what, timeout=timeout, say=say):
            yield
        return
    with bounded_lock(lock_file(uri, name, fallback_dir), what=what, timeout=timeout, say=say):
        yield


@contextmanager
def champion_lock(task: str, uri: str, *, fallback_dir: Path, timeout: float | None = None,
                  say: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold while reading the champion, deciding and moving the alias: one decision per task at a time.

    Promotion by hand takes this same lock, so it never interleaves with a run's decision. The wait is
    bounded by $COURSEWORK_LOCK_TIMEOUT like the data lock's (CHAMPION_WAIT_S where it is not set).
    Runs that track through an MLflow server (a `coursework up` stack, maybe on several machines) take it
    in the PostgreSQL database $COURSEWORK_LOCK_DATABASE names, when it is set.
    """
    shared = os.environ.get("COURSEWORK_LOCK_DATABASE", "").strip()
    if shared and is_postgres(shared):
        # the locked driver: SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3, which is not installed
        scheme, rest = shared.split(":", 1)
        uri = shared if "+" in scheme else f"postgresql+psycopg2:{rest}"
    with store_lock(uri, f"champion-{task}", what=f"{task} champion", fallback_dir=fallback_dir,
                    timeout=lock_timeout(CHAMPION_WAIT_S) if timeout is None else timeout, say=say):
        yield

