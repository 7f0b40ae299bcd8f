"""Who owns a folder or a record, and whether that process still lives (pids get reused, so its start time too)."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import tempfile
from pathlib import Path

import psutil

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
