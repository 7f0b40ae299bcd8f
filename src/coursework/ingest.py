"""ingest: read a task's source into a staged snapshot; promote it only after validation."""

from __future__ import annotations

import csv
import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from coursework import fsutil
from coursework.download import fetch_url, is_url, redact_url
from coursework.errors import SourceError, ValidationFailed
from coursework.fsutil import file_sha256 as content_hash  # a snapshot's data hash
from coursework.retrying import RetryPolicy

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


def _refuse_truncated(path: Path) -> None:
    """A CSV cut mid-row: no final newline and a last record shorter than the header (pandas pads it with NaN)."""
    with path.open("rb") as fh:
        header = fh.readline()
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - (1 << 16)))
        tail = fh.read()
    if tail.endswith(b"\n") or b"\n" not in tail or b"\0" in tail:  # complete, one line, or binary (pandas says)
        return
    last = tail.rsplit(b"\n", 1)[1]
    fields = lambda line: len(next(csv.reader([line.decode("utf-8", "replace")]), []))  # noqa: E731
    try:
        have, want = fields(last.rstrip(b"\r")), fields(header.rstrip(b"\r\n"))
    except csv.Error:
        return  # not CSV-shaped at all: pandas gives the message
    if have < want:
        with path.open("rb") as fh:
            line = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b"")) + 1
        raise SourceError(f"{path}: line {line} is cut short ({have} of {want} fields, no final newline); "
                          f"the file looks truncated: copy or download it again")


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
            _refuse_truncated(path)
            frame = pd.read_csv(path, on_bad_lines="error", float_precision="round_trip")
    except UnicodeDecodeError:
        raise SourceError(f"{path}: not a text CSV file (it holds binary data)") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"{path}: could not be parsed as a table: {first}") from None
    if frame.empty:
        raise SourceError(f"{path}: has a header but no data rows")
    return frame


def apply_aliases(frame: pd.DataFrame, aliases: Mapping[str, str]) -> pd.DataFrame:
    """Rename known alternative headers (a course CSV's 'EstimatedSalary') to the task's names."""
    present = {old: new for old, new in aliases.items() if old in frame.columns and new not in frame.columns}
    return frame.rename(columns=present)


def apply_value_aliases(frame: pd.DataFrame, aliases: Mapping[str, Mapping[Any, Any]]) -> pd.DataFrame:
    """Map a course file's spelling of values (Kaggle's 'Iris-setosa') to the task's ('setosa')."""
    present = {col: mapping for col, mapping in aliases.items() if col in frame.columns}
    return frame.assign(**{col: frame[col].replace(mapping) for col, mapping in present.items()}) if present else frame


def drop_ignored(frame: pd.DataFrame, ignored: tuple[str, ...]) -> pd.DataFrame:
    """Drop the columns a course file carries that the task never reads (Kaggle's row 'Id')."""
    return frame.drop(columns=[c for c in ignored if c in frame.columns])


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
    """Swap data/<task>/ for the validated batch: it holds the old snapshot or the new one, never neither."""
    final = fsutil.install_dir(data_dir / staged.manifest["task"], [staged.folder / SNAPSHOT, staged.folder / MANIFEST])
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
    source: str | None, *, default: Any, default_label: str, options: Mapping[str, Any], download_dir: Path,
    retries: RetryPolicy | None = None,
) -> tuple[pd.DataFrame, str]:
    """The task's default data (a PyPI package or a generator), a local file, or a URL with #sha256=."""
    if source is None:
        frame = default(**dict(options))
        return frame, default_label
    if is_url(source):
        folder = fsutil.run_dir(download_dir, "download")  # this run's own; a sweep removes it if the run is killed
        try:
            return read_table(fetch_url(source, folder, retries)), redact_url(source)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return read_table(source), str(Path(source).resolve())


def stage_source(spec: Any, *, source: str | None, options: Mapping[str, Any], work_dir: Path,
                 retries: RetryPolicy | None = None) -> tuple[pd.DataFrame, Snapshot]:
    """Read a task's source (its default or the user's), map known headers, and stage the batch."""
    frame, label = read_source(source, default=spec.load_default, default_label=spec.source_label,
                               options=options, download_dir=work_dir / "downloads", retries=retries)
    frame = apply_aliases(frame, spec.column_aliases)
    frame = drop_ignored(apply_value_aliases(frame, spec.value_aliases), spec.ignored_columns)
    return frame, stage_snapshot(frame, task=spec.name, source=label, staging_root=work_dir / "staging")


def settle_failed(staged: Snapshot, report: Mapping[str, Any], *, rejected_root: Path) -> None:
    """A batch that failed validation is quarantined and ValidationFailed raised; a passing one stays staged."""
    if not report["success"]:
        kept = quarantine_snapshot(staged, rejected_root=rejected_root, report=report)
        raise ValidationFailed(staged.manifest["task"], report["failures"], quarantine=str(kept))
