"""Bounded file locks, and claims on folders that die with their holder."""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from filelock import FileLock, Timeout

from coursework.errors import CourseworkError
from coursework.fsutil.atomic import atomic_write_text
from coursework.fsutil.owners import OWNER_FILE, owner_tag, owner_token


class LockTimeout(CourseworkError):
    """A lock another run holds was not released within the bound."""

    exit_code = 75  # EX_TEMPFAIL: try again later


def lock_timeout(default: float = 600.0) -> float:
    """How long a run waits for a busy lock: $COURSEWORK_LOCK_TIMEOUT seconds, else `default`."""
    value = os.environ.get("COURSEWORK_LOCK_TIMEOUT", "").strip()
    try:
        return float(value) if value else default
    except ValueError:
        raise CourseworkError(f"COURSEWORK_LOCK_TIMEOUT must be a number of seconds, not {value!r}") from None


def claim_dir(folder: Path) -> Path:
    """Mark a folder whose name is not ours to choose (a checkpoint keyed by settings) as this process's."""
    return atomic_write_text(Path(folder) / OWNER_FILE, owner_token() + "\n")


@contextmanager
def bounded_lock(path: Path, *, what: str, timeout: float = 600.0,
                 say: Callable[[str], None] | None = None) -> Iterator[None]:
    """An exclusive file lock (released by the OS if the holder dies); waits at most `timeout` seconds.

    `say` is told once when the lock is busy, naming the holder, so a waiting run is never silent.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    holder_file = path.with_name(path.name + ".owner")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        holder = holder_file.read_text().strip() if holder_file.exists() else "another run"
        if say:
            say(f"waiting up to {timeout:.0f} s for the {what} lock held by {holder}")
        start = time.monotonic()
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise LockTimeout(f"the {what} lock ({path}) is still held by {holder} after {timeout:.0f} s; "
                              f"try again when that run has finished") from None
        if say:
            say(f"got the {what} lock after {time.monotonic() - start:.1f} s")
    try:
        atomic_write_text(holder_file, owner_tag() + "\n")
        yield
    finally:
        lock.release()


def _try_claim(lock: Path) -> int | None:
    """An fd holding an exclusive flock on `lock`, or None if a live process holds it."""
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.fstat(fd).st_ino == os.stat(lock).st_ino:  # not a file its last holder already unlinked
            return fd
    except OSError:  # BlockingIOError: held; FileNotFoundError: unlinked meanwhile
        pass
    os.close(fd)
    return None


@contextmanager
def claimed_dir(preferred: Path) -> Iterator[Path]:
    """`preferred` if no live process holds it, else a folder of this process's own beside it; held while open.

    A killed holder's claim dies with it (the OS drops its flock), so a later run can take over its
    folder (resume); two live runs never share one. The claim file is removed when the claim ends.
    """
    preferred = Path(preferred)
    preferred.parent.mkdir(parents=True, exist_ok=True)
    for folder in (preferred, preferred.with_name(f"{preferred.name}-{os.getpid()}")):
        lock = folder.with_name(folder.name + ".lock")
        fd = _try_claim(lock)
        if fd is None:
            continue
        try:
            yield folder
        finally:
            lock.unlink(missing_ok=True)  # while still held, so no one can hold a name that is gone
            os.close(fd)
        return
    raise LockTimeout(f"{preferred} and this process's own folder beside it are both held by other runs")
