"""ingest: read a task's source into a staged snapshot; promote it only after validation."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import pandas as pd
import requests
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from coursework import fsutil
from coursework.errors import SourceError, ValidationFailed

SNAPSHOT = "raw.csv"
MANIFEST = "manifest.json"
READABLE = (".csv", ".txt", ".parquet", ".pq")


@dataclass(frozen=True)
class Snapshot:
    """A snapshot on disk: its folder, data file and manifest."""

    folder: Path
    manifest: Mapping[str, Any]

    @property
    def data_path(self) -> Path:
        return self.folder / SNAPSHOT

    @property
    def content_hash(self) -> str:
        return self.manifest["content_hash"]


def read_table(path: str | Path) -> pd.DataFrame:
    """A user's CSV or parquet file, with one clear error for each way it can be unreadable."""
    path = Path(path)
    if not path.exists():
        raise SourceError(f"source file does not exist: {path}")
    if not path.is_file():
        raise SourceError(f"source is not a file: {path}")
    if path.stat().st_size == 0:
        raise SourceError(f"source file is empty: {path}")
    suffix = path.suffix.lower()
    if suffix not in READABLE:
        raise SourceError(f"{path}: unsupported file type '{suffix}'; give a .csv or .parquet file")
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, on_bad_lines="error", float_precision="round_trip")
    except UnicodeDecodeError:
        raise SourceError(f"{path}: not a text CSV file (it holds binary data)") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"{path}: could not be parsed as a table: {first}") from None
    if frame.empty:
        raise SourceError(f"{path}: has a header but no data rows")
    return frame


@retry(
    retry=retry_if_exception_type(requests.RequestException),
    wait=wait_exponential(multiplier=1, min=1, max=30),
    stop=stop_after_attempt(4),
    reraise=True,
)
def _download(url: str) -> bytes:
    response = requests.get(url, timeout=60)
    response.raise_for_status()
    return response.content


def fetch_url(url: str, sha256: str | None, dest_dir: Path) -> Path:
    """Download a URL (retrying with back-off) and check its sha256 before anyone reads it."""
    try:
        content = _download(url)
    except requests.RequestException as exc:
        raise SourceError(f"could not download {url}: {exc}") from None
    digest = hashlib.sha256(content).hexdigest()
    if sha256 and digest != sha256.lower():
        raise SourceError(f"{url}: sha256 {digest} does not match the expected {sha256}")
    dest_dir.mkdir(parents=True, exist_ok=True)
    name = Path(url.split("?")[0]).name or "download.csv"
    target = dest_dir / name
    target.write_bytes(content)
    return target


def apply_aliases(frame: pd.DataFrame, aliases: Mapping[str, str]) -> pd.DataFrame:
    """Rename known alternative headers (a course CSV's 'EstimatedSalary') to the task's names."""
    present = {old: new for old, new in aliases.items() if old in frame.columns and new not in frame.columns}
    return frame.rename(columns=present)


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def stage_snapshot(frame: pd.DataFrame, *, task: str, source: str, staging_root: Path) -> Snapshot:
    """Write a batch to a staging folder of this run's own, with its manifest; the validated snapshot is untouched."""
    folder = fsutil.run_dir(staging_root, task)  # named by this process: a sweep removes it if the run is killed
    data_path = folder / SNAPSHOT
    frame.to_csv(data_path, index=False)
    manifest = {
        "task": task,
        "source": source,
        "rows": int(len(frame)),
        "columns": [str(c) for c in frame.columns],
        "content_hash": content_hash(data_path),
    }  # no timestamp: the same data must give the same bytes, so a rebuilt data/ matches data.dvc
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return Snapshot(folder=folder, manifest=manifest)


def load_snapshot(folder: Path) -> tuple[pd.DataFrame, Snapshot]:
    """A snapshot's frame and manifest, read back exactly as written."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise SourceError(f"no snapshot at {folder}: run `coursework run` first (ingest writes it)")
    manifest = json.loads(manifest_path.read_text())
    frame = pd.read_csv(folder / SNAPSHOT, float_precision="round_trip")
    return frame, Snapshot(folder=folder, manifest=manifest)


def promote_snapshot(staged: Snapshot, *, data_dir: Path) -> Snapshot:
    """Replace data/<task>/ with the validated batch in one rename, so it is never half-written."""
    final = data_dir / staged.manifest["task"]
    tmp = fsutil.staging_dir(final)
    for name in (SNAPSHOT, MANIFEST):
        shutil.copy2(staged.folder / name, tmp / name)
    fsutil.swap_dir(tmp, final)  # data/<task> is the old snapshot or the new one at every instant
    shutil.rmtree(staged.folder, ignore_errors=True)
    return Snapshot(folder=final, manifest=staged.manifest)


def quarantine_snapshot(staged: Snapshot, *, rejected_root: Path, report: Mapping[str, Any]) -> Path:
    """Move a batch that failed validation aside, with the failures beside it, for inspection."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = rejected_root / staged.manifest["task"] / stamp
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(staged.folder), target)
    (target / "validation.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    return target


def read_source(
    source: str | None, *, default: Any, default_label: str, options: Mapping[str, Any], download_dir: Path
) -> tuple[pd.DataFrame, str]:
    """The task's default data (a PyPI package or a generator), a local file, or a URL with #sha256=."""
    if source is None:
        frame = default(**dict(options))
        return frame, default_label
    if source.startswith(("http://", "https://")):
        url, _, sha256 = source.partition("#sha256=")
        folder = fsutil.run_dir(download_dir, "download")  # this run's own; a sweep removes it if the run is killed
        try:
            return read_table(fetch_url(url, sha256 or None, folder)), source
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return read_table(source), str(Path(source).resolve())


def stage_source(spec: Any, *, source: str | None, options: Mapping[str, Any], work_dir: Path) -> tuple[pd.DataFrame, Snapshot]:
    """Read a task's source (its default or the user's), map known headers, and stage the batch."""
    frame, label = read_source(source, default=spec.load_default, default_label=spec.source_label,
                               options=options, download_dir=work_dir / "downloads")
    frame = apply_aliases(frame, spec.column_aliases)
    return frame, stage_snapshot(frame, task=spec.name, source=label, staging_root=work_dir / "staging")


def settle_batch(staged: Snapshot, report: Mapping[str, Any], *, data_dir: Path, rejected_root: Path) -> Snapshot:
    """Promote a batch that passed validation; quarantine one that failed and raise ValidationFailed."""
    if not report["success"]:
        kept = quarantine_snapshot(staged, rejected_root=rejected_root, report=report)
        raise ValidationFailed(staged.manifest["task"], report["failures"], quarantine=str(kept))
    return promote_snapshot(staged, data_dir=data_dir)
