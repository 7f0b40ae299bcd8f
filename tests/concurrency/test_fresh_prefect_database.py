"""A fresh machine's Prefect database is set up once, under a lock, before any temporary server starts."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from tests.support import REPO

PROBE = """
import sqlite3, sys
from flows.local_database import _sqlite_file, ensure_local_database
ensure_local_database()
print(sqlite3.connect(_sqlite_file()).execute('select count(*) from block_type').fetchone()[0])
"""


def test_block_types_are_registered_with_the_migration(tmp_path):
    """Two servers starting at once on a fresh database each inserted Prefect's block types, and one failed
    (UNIQUE constraint failed: block_type.slug) with a traceback in the user's run: the types are now there
    before any server starts, so a server only checks them."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PREFECT_HOME": str(tmp_path / "prefect")}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert int(done.stdout.strip().splitlines()[-1]) > 0
    database = tmp_path / "prefect" / "prefect.db"
    slugs = {row[0] for row in sqlite3.connect(database).execute("select slug from block_type")}
    assert "webhook" in slugs  # what the alerts' CustomWebhookNotificationBlock builds on
