"""recovery: what a killed run left behind, found by the next command and put right, only where its process is dead.

A run records its host, pid and process start time (MLflow run tags; owner tokens in its folders' names;
records of the servers it started). A sweep fails the MLflow runs of dead processes, tags their unfinished
model versions `incomplete`, removes their temporary folders, puts back a data/<task> folder a swap left
missing, and stops the servers they left running. Another host's or a live process's things are never touched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from coursework import fsutil

WORK_DIR = ".coursework"
_SWAP_LEFTOVER = re.compile(r"\.(?P<task>.+?)-(?P<kind>new|old)-[0-9a-f]{8}-p\d+-t\d+")  # fsutil.staging_dir / swap_dir
RUN_DIRS = ("staging", "downloads")  # per-run folders named by fsutil.run_dir
CHECKPOINTS = "checkpoints"  # deep tasks: claimed with an owner file, kept while they can resume a run
RESUME_KEEP_S = 7 * 24 * 3600  # a dead run's resumable checkpoint is kept this long for a rerun to pick up
CHILDREN = "children"  # records of the servers a command started, one file per command
STOP_WAIT_S = 5.0


@dataclass
class Swept:
    """What one sweep put right, for the command to say."""

    runs: list[str] = field(default_factory=list)
    versions: list[tuple[str, int]] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)
    restored: list[Path] = field(default_factory=list)
    servers: list[int] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"run {r} of a killed process marked FAILED" for r in self.runs]
        out += [f"{name} version {v} of a killed run tagged incomplete" for name, v in self.versions]
        out += [f"{p} restored from the copy a killed swap left" for p in self.restored]
        out += [f"temporary folder {p} of a killed run removed" for p in self.folders]
        out += [f"server pid {pid} orphaned by a killed run stopped" for pid in self.servers]
        return out


def _found_by() -> str:
    return f"{fsutil.owner_tag()} at {datetime.now(timezone.utc).isoformat(timespec='seconds')}"


def sweep_runs(swept: Swept) -> None:
    """RUNNING MLflow runs of dead processes of this host: versions tagged incomplete, then the run FAILED."""
    from coursework import tracking_recovery

    for run in tracking_recovery.running_runs():
        if not fsutil.tags_of_dead_process(run["tags"]):
            continue
        found = _found_by()
        swept.versions += tracking_recovery.mark_incomplete_versions(run["run_id"], f"its run's process died; found by {found}")
        tracking_recovery.fail_run(run["run_id"], {"found_dead": "true", "found_dead_by": found})
        swept.runs.append(run["run_id"])


def _remove(folder: Path, swept: Swept) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    swept.folders.append(folder)


def sweep_work_dirs(root: Path, swept: Swept) -> None:
    """Per-run folders under .coursework/ whose owner is dead; checkpoints only once nothing can resume them."""
    work = Path(root) / WORK_DIR
    for name in RUN_DIRS:
        for folder in sorted((work / name).glob("*")) if (work / name).is_dir() else []:
            if folder.is_dir() and fsutil.folder_owner_dead(folder):
                _remove(folder, swept)
    checkpoints = work / CHECKPOINTS
    for folder in sorted(checkpoints.glob("*")) if checkpoints.is_dir() else []:
        if folder.is_dir() and fsutil.folder_owner_dead(folder):
            resumable = any(p.is_dir() for p in folder.iterdir())  # Keras' BackupAndRestore keeps a sub-folder
            if not resumable or time.time() - folder.stat().st_mtime > RESUME_KEEP_S:
                _remove(folder, swept)


def sweep_data_dirs(root: Path, swept: Swept) -> None:
    """Beside data/<task>: a dead run's staged copy removed; its old copy put back where a swap left <task> missing."""
    data = Path(root) / "data"
    for leftover in sorted(data.glob(".*")) if data.is_dir() else []:
        found = _SWAP_LEFTOVER.match(leftover.name)
        if not (found and leftover.is_dir() and fsutil.owned_by_dead_process(leftover.name)):
            continue
        final = data / found["task"]
        olds = list(data.glob(f".{final.name}-old-*"))
        if found["kind"] == "old" and not final.exists() and all(fsutil.owned_by_dead_process(o.name) for o in olds):
            try:
                fsutil.recover_dir(final)  # the swap died between its two renames: the old snapshot goes back
            except FileNotFoundError:
                pass  # a sweep beside ours put it back first
            swept.restored += [final] if final.exists() else []
        elif leftover.exists():
            _remove(leftover, swept)


def record_child(root: Path, pid: int, what: str) -> Path:
    """Note a server this command started, so a later sweep can stop it if this command is killed."""
    record = Path(root) / WORK_DIR / CHILDREN / f"{fsutil.owner_token()}.json"
    entry = {"pid": pid, "start": fsutil.process_start(pid), "what": what}
    return fsutil.atomic_write_text(record, json.dumps(entry) + "\n")


def forget_child(record: Path) -> None:
    Path(record).unlink(missing_ok=True)


def _stop(pid: int, start: float) -> None:
    """SIGTERM, then SIGKILL if that same process is still there after a few seconds."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_WAIT_S
    while time.monotonic() < deadline and fsutil.process_alive(pid, start):
        time.sleep(0.1)
    if fsutil.process_alive(pid, start):
        os.kill(pid, signal.SIGKILL)


def sweep_children(root: Path, swept: Swept) -> None:
    """Servers recorded by commands that died: stopped if that very process still runs, then forgotten."""
    folder = Path(root) / WORK_DIR / CHILDREN
    for record in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if not fsutil.owned_by_dead_process(record.stem):
            continue
        try:
            entry = json.loads(record.read_text())
        except (OSError, ValueError):
            entry = {}
        if entry and fsutil.process_alive(int(entry["pid"]), float(entry["start"])):
            _stop(int(entry["pid"]), float(entry["start"]))
            swept.servers.append(int(entry["pid"]))
        forget_child(record)


def sweep(root: Path, *, runs: bool = True, say: Callable[[str], None] | None = None) -> Swept:
    """Everything a killed run of this host left in this project: see the module docstring."""
    swept = Swept()
    sweep_children(root, swept)
    if runs:
        sweep_runs(swept)
    sweep_work_dirs(root, swept)
    sweep_data_dirs(root, swept)
    for line in swept.lines() if say else []:
        say(line)
    return swept
