"""versioning: data.dvc as the data version of data/, and each task's raw snapshot checked against it.

`data.dvc` (written by `dvc add data`) holds the md5 of the whole data/ folder: that md5 is the data
version MLflow runs and model versions carry as `data_version`. Its `meta.raw_sha256` block records,
per task, the sha256 of data/<task>/raw.csv (the runs' `data_hash`), so a fresh clone can name the
task whose data differs even before any DVC cache exists.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import yaml

from coursework.errors import DataVersionError
from coursework.ingest import SNAPSHOT, content_hash

DATA_DIR = "data"
DVC_FILE = "data.dvc"
UNTRACKED = "untracked"  # the data_version of a run in a folder that is not a DVC repository
HOW_TO_GET_IT_BACK = "`dvc pull` (or `dvc checkout data.dvc` where the cache has it) restores the recorded data"


@dataclass(frozen=True)
class DataRecord:
    """What data.dvc records: the folder's md5 and each task's raw.csv sha256."""

    version: str | None = None
    tasks: Mapping[str, str] = field(default_factory=dict)
    stale: bool = False  # meta written for another md5: data.dvc was re-added by hand


def is_dvc_repo(root: Path) -> bool:
    return (Path(root) / ".dvc").is_dir()


def read_record(root: Path) -> DataRecord:
    """data.dvc's md5 and per-task hashes; an empty record where there is no data.dvc yet."""
    path = Path(root) / DVC_FILE
    if not path.is_file():
        return DataRecord()
    doc = yaml.safe_load(path.read_text()) or {}
    version = (doc.get("outs") or [{}])[0].get("md5")
    meta = (doc.get("meta") or {})
    return DataRecord(version=version, tasks=dict(meta.get("raw_sha256") or {}),
                      stale=meta.get("recorded_md5") != version)


def present_hashes(root: Path) -> dict[str, str]:
    """sha256 of every data/<task>/raw.csv in the workspace."""
    data = Path(root) / DATA_DIR
    found = sorted(data.glob(f"*/{SNAPSHOT}")) if data.is_dir() else []
    return {p.parent.name: content_hash(p) for p in found if not p.parent.name.startswith(".")}


def check_batch(root: Path, task: str, batch_hash: str, *, accept: bool) -> None:
    """Before a batch is promoted: refuse a source whose bytes differ from the recorded version.

    `accept` (a `--source` file, `--accept-new-data`) lets a differing batch through to become a new
    version, but only where every other recorded task's data is present, so the new data.dvc keeps it.
    """
    if not is_dvc_repo(root):
        return
    record = read_record(root)
    recorded = record.tasks.get(task)
    if recorded == batch_hash:
        return
    if recorded and not accept:
        raise DataVersionError(
            f"{task}: the source now yields different data than data.dvc records "
            f"(sha256 {batch_hash[:12]} instead of {recorded[:12]}). Nothing was replaced. "
            f"{HOW_TO_GET_IT_BACK}; if the change is intended, run again with --accept-new-data "
            f"to record it as a new data version.", tasks=[task])
    missing = sorted(set(record.tasks) - set(present_hashes(root)) - {task})
    if missing:
        raise DataVersionError(
            f"{task}: cannot record a new data version while data/ lacks the recorded data of "
            f"{', '.join(missing)}; {HOW_TO_GET_IT_BACK}, then run again.", tasks=missing)


def admit_batch(root: Path, staged, *, accept: bool, rejected_root: Path) -> None:
    """check_batch on a staged snapshot; a refused batch is kept under rejected_root for inspection."""
    from coursework import ingest

    try:
        check_batch(root, staged.manifest["task"], staged.content_hash, accept=accept)
    except DataVersionError as exc:
        kept = ingest.quarantine_snapshot(staged, rejected_root=rejected_root, report={"data_version": str(exc)})
        raise DataVersionError(f"{exc}\n  the new batch is kept at {kept}", tasks=exc.tasks) from None


def check_snapshot(root: Path, task: str, snapshot_path: Path, manifest_hash: str) -> str:
    """The sha256 of data/<task>/raw.csv, which must match its manifest and (in a DVC repo) data.dvc."""
    found = content_hash(snapshot_path)
    if found != manifest_hash:
        raise DataVersionError(f"{task}: {snapshot_path} does not match its manifest's sha256 (edited by hand?); "
                               f"{HOW_TO_GET_IT_BACK}", tasks=[task])
    if not is_dvc_repo(root):
        return found
    recorded = read_record(root).tasks.get(task)
    if recorded is None:
        raise DataVersionError(f"{task}: data/{task} is not recorded in {DVC_FILE}; ingest it first with "
                               f"`coursework data rebuild {task}` (or `coursework run {task}`)", tasks=[task])
    if recorded != found:
        raise DataVersionError(f"{task}: data/{task}/{SNAPSHOT} (sha256 {found[:12]}) differs from what "
                               f"{DVC_FILE} records ({recorded[:12]}); {HOW_TO_GET_IT_BACK}", tasks=[task])
    return found


def _dvc(root: Path, *args: str) -> subprocess.CompletedProcess:
    """The DVC of this interpreter's environment, quiet and without analytics."""
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=root, env=env, capture_output=True, text=True)


def record_data_version(root: Path) -> str:
    """After a promotion: `dvc add data` and the per-task hashes; returns the data version (md5).

    Where data/ lacks tasks that data.dvc records (a fresh clone that rebuilt only some) and nothing
    differs from the record, data.dvc is left as it is: the present data is that version.
    """
    root = Path(root)
    if not is_dvc_repo(root):
        return UNTRACKED
    record, present = read_record(root), present_hashes(root)
    missing = sorted(set(record.tasks) - set(present))
    if missing:  # adding now would drop their data from the version
        if all(record.tasks.get(t) == h for t, h in present.items()):
            return record.version or UNTRACKED
        raise DataVersionError(f"cannot record a new data version while data/ lacks the recorded data of "
                               f"{', '.join(missing)}; {HOW_TO_GET_IT_BACK}", tasks=missing)
    done = _dvc(root, "add", "--quiet", DATA_DIR)
    if done.returncode != 0:
        raise DataVersionError(f"`dvc add {DATA_DIR}` failed: {(done.stderr or done.stdout).strip()[-800:]}")
    path = root / DVC_FILE
    doc = yaml.safe_load(path.read_text())
    version = doc["outs"][0]["md5"]
    doc["meta"] = {"recorded_md5": version, "raw_sha256": dict(sorted(present.items()))}
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(yaml.safe_dump(doc, sort_keys=False))
    tmp.replace(path)
    return version


def current_version(root: Path) -> str:
    """data.dvc's md5, or 'untracked' outside a DVC repository or before anything was recorded."""
    return (read_record(root).version if is_dvc_repo(root) else None) or UNTRACKED


@dataclass(frozen=True)
class Difference:
    """One task whose data in the workspace is not the recorded one."""

    task: str
    status: str  # differs | missing | not recorded | other files differ
    recorded: str | None = None
    found: str | None = None


def _changed_paths(root: Path) -> set[str]:
    """Paths under data/ that `dvc data status` reports as changed against data.dvc."""
    done = _dvc(root, "data", "status", "--granular", "--json", DATA_DIR)
    if done.returncode != 0:
        raise DataVersionError(f"`dvc data status` failed: {(done.stderr or done.stdout).strip()[-800:]}")
    uncommitted = json.loads(done.stdout or "{}").get("uncommitted", {})
    changed = {p for kind in ("added", "modified", "deleted") for p in uncommitted.get(kind, [])}
    return {p for p in changed if p.startswith(f"{DATA_DIR}/")}


def compare_workspace(root: Path, tasks: list[str] | None = None) -> tuple[DataRecord, list[Difference]]:
    """Every task whose data/<task>/ differs from data.dvc, by raw.csv sha256 and then file by file."""
    root = Path(root)
    record = read_record(root)
    if record.version is None:
        raise DataVersionError(f"no {DVC_FILE} here: no data version has been recorded yet")
    present = present_hashes(root)
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


def rebuild_snapshot(root: Path, *, spec, params, accept: bool = False) -> str:
    """Ingest a task's default source again into data/<task>/: checked against data.dvc, validated.

    A fresh clone without a DVC remote gets its data this way; a batch that differs from the recorded
    version or fails validation is kept under .coursework/rejected/ and data/ is left as it was.
    """
    from coursework import ingest, validate

    root, work = Path(root), Path(root) / ".coursework"
    frame, staged = ingest.stage_source(spec, source=None, options=params.source, work_dir=work)
    admit_batch(root, staged, accept=accept, rejected_root=work / "rejected")
    report = validate.validate_frame(frame, task=spec.name, expectations=spec.expectations())
    return ingest.settle_batch(staged, report, data_dir=root / DATA_DIR, rejected_root=work / "rejected").content_hash
