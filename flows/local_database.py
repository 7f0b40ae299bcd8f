"""Prefect's local SQLite database, migrated once under a lock before runs start temporary servers on it.

Two `coursework run` started at once on a machine where Prefect has never run each start a temporary
server, and both servers migrate the same fresh database ("duplicate column name", a traceback).
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Callable

from prefect.settings import get_current_settings

from coursework import stackfile
from coursework.fsutil import bounded_lock

MIGRATE_WAIT_S = 300.0  # a first migration takes ~10 s on a loaded 2-core machine


def _sqlite_file() -> Path | None:
    """The local database a temporary server would use, or None when a server of the user's own is set."""
    settings = get_current_settings()
    url = settings.server.database.connection_url
    url = url.get_secret_value() if url is not None else ""
    if settings.api.url or not url.startswith("sqlite") or ":///" not in url:
        return None
    return Path(url.split(":///", 1)[1])


def _migrated(path: Path) -> bool:
    if not path.is_file():
        return False
    try:
        with closing(sqlite3.connect(path)) as con:
            return con.execute("SELECT count(*) FROM alembic_version").fetchone()[0] > 0
    except sqlite3.Error:
        return False


def ensure_local_database(say: Callable[[str], None] | None = None) -> None:
    """Migrate the local Prefect database if nothing has yet; later runs only check, under the same lock."""
    path = _sqlite_file()
    if path is None or stackfile.read(Path.cwd()) is not None:  # attached to a stack: no temporary server
        return
    with bounded_lock(path.with_name(f".{path.name}.migrate.lock"), what="Prefect database migration",
                      timeout=MIGRATE_WAIT_S, say=say):
        if _migrated(path):
            return
        asyncio.run(_set_up())


async def _set_up() -> None:
    """Create the tables, then register Prefect's block types once, under the caller's lock.

    Each temporary server registers them at start-up; two servers starting at once on a fresh database both
    insert them and one fails (UNIQUE constraint failed: block_type.slug). Registered here first, a server
    finds them (and the memo Prefect keeps of it) and only checks.
    """
    from prefect.server.api.server import _memoize_block_auto_registration
    from prefect.server.database import provide_database_interface
    from prefect.server.models.block_registration import run_block_auto_registration

    db = provide_database_interface()
    await db.create_db()

    async def register_blocks() -> None:
        async with await db.session() as session:
            await run_block_auto_registration(session=session)

    await _memoize_block_auto_registration(register_blocks)()
