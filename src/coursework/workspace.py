"""workspace: which tasks' data/<task>/ differ from what data.dvc records (`coursework data status`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from coursework import versioning
from coursework.errors import DataVersionError
from coursework.versioning import DataRecord


@dataclass(frozen=True)
class Difference:
    """One task whose data in the workspace is not the recorded one."""

    task: str
    status: str  # differs | missing | not recorded | other files differ
    recorded: str | None = None
    found: str | None = None


def _changed_paths(root: Path) -> set[str]:
    """Paths under data/ that `dvc data status` reports as changed against data.dvc."""
    done = versioning._dvc(root, "data", "status", "--granular", "--json", versioning.DATA_DIR)
    if done.returncode != 0:
        raise DataVersionError(f"`dvc data status` failed: {(done.stderr or done.stdout).strip()[-800:]}")
    uncommitted = json.loads(done.stdout or "{}").get("uncommitted", {})
    changed = {p for kind in ("added", "modified", "deleted") for p in uncommitted.get(kind, [])}
    return {p for p in changed if p.startswith(f"{versioning.DATA_DIR}/")}


def compare_workspace(root: Path, tasks: list[str] | None = None) -> tuple[DataRecord, list[Difference]]:
    """Every task whose data/<task>/ differs from data.dvc, by raw.csv sha256 and then file by file."""
    root = Path(root)
    record = versioning.read_record(root)
    if record.version is None:
        raise DataVersionError(f"no {versioning.DVC_FILE} here: no data version has been recorded yet")
    present = versioning.present_hashes(root)
    names = tasks or sorted(set(record.tasks) | set(present))
    out = []
    for task in names:
        recorded, found = record.tasks.get(task), present.get(task)
        if recorded != found:
            status = "missing" if found is None else "not recorded" if recorded is None else "differs"
            out.append(Difference(task, status, recorded, found))
    named = {d.task for d in out}
    changed = _changed_paths(root)
    others = {Path(p).parts[1] for p in changed if len(Path(p).parts) > 2} - named
    out += [Difference(t, "other files differ", record.tasks.get(t), present.get(t)) for t in sorted(others) if t in names]
    if changed and not out and not tasks:  # the folder differs but dvc cannot say where (no cache)
        out.append(Difference("data/", "other files differ"))
    return record, out
