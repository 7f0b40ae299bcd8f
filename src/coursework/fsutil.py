"""fsutil: the one home for atomic writes, atomic folder swaps and bounded file locks.

Every file the project writes goes through here: a temp file beside the target, then a rename, so a
reader (or a run killed mid-write) sees the old content or the new, never half of it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import hashlib
import os
import re
import shutil
import socket
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import psutil
from filelock import FileLock, Timeout

from coursework.errors import CourseworkError

_RENAME_EXCHANGE = 2  # linux/fs.h: swap two paths in one step


class LockTimeout(CourseworkError):
    """A lock another run holds was not released within the bound."""

    exit_code = 75  # EX_TEMPFAIL: try again later


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write `data` to `path` through a temp file in the same folder and one rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temp path beside `path` for a writer that wants a file name (savefig, to_csv); renamed on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix or ".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks (snapshots, model files)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _exchange(a: Path, b: Path) -> bool:
    """renameat2(RENAME_EXCHANGE): swap two folders atomically; False where the kernel or fs lacks it."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    if not hasattr(libc, "renameat2"):
        return False
    at_fdcwd = -100
    done = libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0


def staging_dir(final: Path) -> Path:
    """An empty hidden folder beside `final`, on the same filesystem, to fill and then swap in."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{final.name}-new-{owner_token()}-", dir=final.parent))


def swap_dir(staged: Path, final: Path) -> Path:
    """Put the filled folder `staged` at `final`; `final` holds the old folder or the new one, never neither.

    Only for folders the project owns (data/<task>, its report folders): the old one is removed.
    """
    staged, final = Path(staged), Path(final)
    if not final.exists():
        os.rename(staged, final)
        return final
    if _exchange(staged, final):  # staged now holds the old folder
        shutil.rmtree(staged, ignore_errors=True)
        return final
    old = final.with_name(f".{final.name}-old-{owner_token()}")
    os.rename(final, old)  # fallback: a short window where `final` is missing; recover_dir() repairs it
    os.rename(staged, final)
    shutil.rmtree(old, ignore_errors=True)
    return final


def recover_dir(final: Path) -> None:
    """After a crash in swap_dir's fallback: put the old folder back if `final` is missing; drop leftovers."""
    final = Path(final)
    olds = sorted(final.parent.glob(f".{final.name}-old-*")) if final.parent.is_dir() else []
    if not final.exists() and olds:
        os.rename(olds[-1], final)
        olds = olds[:-1]
    for leftover in olds:
        shutil.rmtree(leftover, ignore_errors=True)


def lock_timeout(default: float = 600.0) -> float:
    """How long a run waits for a busy lock: $COURSEWORK_LOCK_TIMEOUT seconds, else `default`."""
    value = os.environ.get("COURSEWORK_LOCK_TIMEOUT", "").strip()
    try:
        return float(value) if value else default
    except ValueError:
        raise CourseworkError(f"COURSEWORK_LOCK_TIMEOUT must be a number of seconds, not {value!r}") from None


# ---------------------------------------------------------------- who owns a folder, and is it still alive
# A folder a run makes carries its owner in its name (created in one step, so no window without one):
# a short hash of the host, the pid and the process start time in centiseconds, since pids get reused.
_TOKEN = re.compile(r"(?P<host>[0-9a-f]{8})-p(?P<pid>\d+)-t(?P<start>\d+)")
_START_SLACK_S = 1.0  # psutil's start time is exact to the clock tick; a reused pid starts later than this


def host_id(host: str | None = None) -> str:
    """8 hex digits naming a host in folder names (a hostname may hold any character)."""
    return hashlib.sha256((host or socket.gethostname()).encode()).hexdigest()[:8]


def process_start(pid: int | None = None) -> float:
    """When a process started (seconds since the epoch), as psutil reads it."""
    return psutil.Process(pid or os.getpid()).create_time()


def owner_token() -> str:
    """This process as `<host id>-p<pid>-t<start cs>`, for the names of the folders it makes."""
    return f"{host_id()}-p{os.getpid()}-t{round(process_start() * 100)}"


def token_owner(name: str) -> tuple[str, int, float] | None:
    """(host id, pid, start time) from a name holding an owner token, or None if it holds none."""
    found = _TOKEN.search(name)
    if not found:
        return None
    return found["host"], int(found["pid"]), int(found["start"]) / 100


def process_alive(pid: int, start: float) -> bool:
    """True while the process `pid` that started at `start` runs on this host (a reused pid does not count)."""
    try:
        proc = psutil.Process(pid)
        return abs(proc.create_time() - start) < _START_SLACK_S and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.AccessDenied:
        return True  # cannot tell: leave its things alone
    except (psutil.NoSuchProcess, ProcessLookupError, ValueError):
        return False


def process_tags() -> dict[str, str]:
    """host, pid and start time of this process, for the records (MLflow runs) a sweep must judge later."""
    return {"host": socket.gethostname(), "pid": str(os.getpid()), "process_start": f"{process_start():.2f}"}


def tags_of_dead_process(tags: dict[str, str]) -> bool:
    """True for tags written by process_tags() of a process of this host that is gone; unknown owners are alive."""
    try:
        host, pid, start = tags["host"], int(tags["pid"]), float(tags["process_start"])
    except (KeyError, ValueError):
        return False
    return host == socket.gethostname() and not process_alive(pid, start)


def owned_by_dead_process(name: str) -> bool:
    """A folder of this host whose owner process has died; a live or another host's owner never counts."""
    owner = token_owner(name)
    if owner is None or owner[0] != host_id():
        return False
    return not process_alive(owner[1], owner[2])


def run_dir(parent: Path, name: str) -> Path:
    """A fresh folder for this run under `parent`, named `<name>.<owner token>.<random>` so a sweep can tell it is ours."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{name}.{owner_token()}.", dir=parent))


OWNER_FILE = ".owner"


def claim_dir(folder: Path) -> Path:
    """Mark a folder whose name is not ours to choose (a checkpoint keyed by settings) as this process's."""
    return atomic_write_text(Path(folder) / OWNER_FILE, owner_token() + "\n")


def folder_owner_dead(folder: Path) -> bool:
    """A folder whose name or owner file names a dead process of this host."""
    folder = Path(folder)
    if token_owner(folder.name):
        return owned_by_dead_process(folder.name)
    owner = folder / OWNER_FILE
    return owner.is_file() and owned_by_dead_process(owner.read_text().strip())


def owner_tag() -> str:
    """host:pid of this process, written into lock files so a waiting run can say who holds the lock."""
    return f"{socket.gethostname()}:{os.getpid()}"


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
