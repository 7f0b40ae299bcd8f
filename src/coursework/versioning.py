"""versioning: data.dvc as the data version of data/, and each task's raw snapshot checked against it.

`data.dvc` holds the md5 of the whole data/ folder (as `dvc add data` computes it): that md5 is the
data version MLflow runs and model versions carry as `data_version`. A run records only the task it
validated (coursework.dvcdata), under the data lock and DVC's repository lock. Its `meta.raw_sha256` block records,
per task, the sha256 of data/<task>/raw.csv (the runs' `data_hash`), so a fresh clone can name the
task whose data differs even before any DVC cache exists.
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping

import yaml

from coursework import dvcdata, fsutil, ingest
from coursework.errors import DataVersionError
from coursework.ingest import SNAPSHOT, content_hash

DATA_DIR = "data"
DVC_FILE = "data.dvc"
UNTRACKED = "untracked"  # the data_version of a run in a folder that is not a DVC repository
UNRECORDED = "unrecorded"  # new data this clone could not record: its DVC cache lacks the recorded listing
LOCK = Path(".coursework") / "locks" / "data.lock"
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
    version; the other tasks' recorded data need not be present, as only this task's entries change.
    """
    if not is_dvc_repo(root):
        return
    recorded = read_record(root).tasks.get(task)
    if recorded and recorded != batch_hash and not accept:
        raise DataVersionError(
            f"{task}: the source now yields different data than data.dvc records "
            f"(sha256 {batch_hash[:12]} instead of {recorded[:12]}). Nothing was replaced. "
            f"{HOW_TO_GET_IT_BACK}; if the change is intended, run again with --accept-new-data "
            f"to record it as a new data version.", tasks=[task])


def admit_batch(root: Path, staged, *, accept: bool, rejected_root: Path) -> None:
    """check_batch on a staged snapshot; a refused batch is kept under rejected_root for inspection."""
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


@dataclass(frozen=True)
class Recorded:
    """The data version a run's data belongs to, and why it could not be recorded, if it could not."""

    version: str
    warning: str | None = None
    new: bool = False  # this run wrote a new data.dvc
    text: str | None = None  # the data.dvc it wrote, read under the lock (what the run logs beside itself)


@contextmanager
def data_lock(root: Path, say: Callable[[str], None] | None = None) -> Iterator[None]:
    """This project's data lock, then DVC's repository lock: each waited for with a bound, said aloud."""
    timeout = fsutil.lock_timeout()
    with fsutil.bounded_lock(Path(root) / LOCK, what="data", timeout=timeout, say=say):
        if not is_dvc_repo(root):
            yield
            return
        with dvcdata.repo_lock(root, timeout=timeout, say=say):
            yield


def _unrecorded(record: DataRecord, tasks: list[str]) -> Recorded:
    names = ", ".join(tasks)
    return Recorded(UNRECORDED, (
        f"data/{names} is new data that {DVC_FILE} could not record: this clone's DVC cache lacks the recorded "
        f"listing of data/ (version {record.version}). The run is tagged data_version={UNRECORDED}. To record "
        f"it, get the recorded data with `dvc pull` (or `coursework data rebuild --all`), then run again."))


def record_data_version(root: Path, tasks: list[str]) -> Recorded:
    """data.dvc with only `tasks`' entries replaced by data/<task>/ as it is now; call under data_lock.

    Another task's unrecorded change in data/ stays out. Where the recorded listing is not in this
    clone's cache, data.dvc is left as it is and the result says how to record the data.
    """
    root = Path(root)
    if not is_dvc_repo(root):
        return Recorded(UNTRACKED)
    record, present = read_record(root), present_hashes(root)
    with dvcdata.open_cache(root) as odb:
        listing = dvcdata.load_listing(odb, record.version)
        if listing is None:  # a fresh clone: unchanged bytes are still the recorded version
            same = all(record.tasks.get(t) == present.get(t) for t in tasks)
            return Recorded(record.version) if same else _unrecorded(record, tasks)
        tree = dvcdata.replace_tasks(odb, root, listing, tasks)
        if tree.oid == record.version:
            return Recorded(record.version)
        hashes = {**record.tasks, **{t: present[t] for t in tasks}}
        meta = {"recorded_md5": tree.oid, "raw_sha256": dict(sorted(hashes.items()))}
        version = dvcdata.write_dvc_file(odb, root, tree, meta)
        return Recorded(version, new=True, text=(root / DVC_FILE).read_text())


def commit_batch(root: Path, staged: ingest.Snapshot, *, accept: bool,
                 say: Callable[[str], None] | None = None) -> tuple[ingest.Snapshot, Recorded]:
    """A validated batch, under the data lock: checked against data.dvc, promoted to data/<task>, recorded."""
    root = Path(root)
    with data_lock(root, say=say):
        admit_batch(root, staged, accept=accept, rejected_root=root / ".coursework" / "rejected")
        if is_dvc_repo(root):  # before data/ changes: a clone that rebuilt or pulled data/ has the listing there
            with dvcdata.open_cache(root) as odb:
                dvcdata.cache_workspace_listing(odb, root, read_record(root).version)
        snapshot = ingest.promote_snapshot(staged, data_dir=root / DATA_DIR)
        return snapshot, record_data_version(root, [snapshot.manifest["task"]])


def current_version(root: Path) -> str:
    """data.dvc's md5, or 'untracked' outside a DVC repository or before anything was recorded."""
    return (read_record(root).version if is_dvc_repo(root) else None) or UNTRACKED


def validate_batch(frame, staged: ingest.Snapshot, *, spec, rejected_root: Path) -> dict:
    """The task's suite on a staged batch; a failing batch is quarantined and ValidationFailed raised."""
    from coursework import validate

    report = validate.validate_frame(frame, task=spec.name, expectations=spec.expectations())
    ingest.settle_failed(staged, report, rejected_root=rejected_root)
    return report


def rebuild_snapshot(root: Path, *, spec, params, accept: bool = False,
                     say: Callable[[str], None] | None = None) -> tuple[str, Recorded]:
    """Ingest a task's default source again into data/<task>/: validated first, then checked against data.dvc.

    A fresh clone without a DVC remote gets its data this way; a batch that fails validation or
    differs from the recorded version is kept under .coursework/rejected/ and data/ is left as it was.
    """
    root, work = Path(root), Path(root) / ".coursework"
    frame, staged = ingest.stage_source(spec, source=None, options=params.source, work_dir=work)
    validate_batch(frame, staged, spec=spec, rejected_root=work / "rejected")
    snapshot, recorded = commit_batch(root, staged, accept=accept, say=say)
    return snapshot.content_hash, recorded


def validate_snapshot(root: Path, *, spec) -> tuple[object, ingest.Snapshot, dict]:
    """data/<task>/ checked against its manifest and data.dvc, then through the task's suite again."""
    from coursework import validate

    frame, snapshot = ingest.load_snapshot(Path(root) / DATA_DIR / spec.name)
    check_snapshot(root, spec.name, snapshot.data_path, snapshot.content_hash)
    report, _ = validate.validate_once(frame, root=root, task=spec.name, data_hash=snapshot.content_hash,
                                       expectations=spec.expectations)
    return frame, snapshot, report
