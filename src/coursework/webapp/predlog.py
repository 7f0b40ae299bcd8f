"""The log of served predictions, `.coursework/predictions.jsonl`: one JSON object a line, newest last."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

LOG = Path(".coursework") / "predictions.jsonl"


def inputs_sha256(frame: pd.DataFrame) -> str:
    """sha256 of the inputs as CSV (no index): equal inputs give equal hashes, and no input is stored."""
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


def append(root: Path, *, task: str, version: int, rows: int, latency_ms: float, sha256: str, source: str) -> dict:
    """Add one record; a single O_APPEND write of one line, so two app sessions never interleave records."""
    record = {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "task": task, "version": version,
              "rows": rows, "latency_ms": round(latency_ms, 1), "inputs_sha256": sha256, "source": source}
    path = root / LOG
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(record) + "\n").encode())
    finally:
        os.close(fd)
    return record


def last(root: Path, n: int = 10) -> list[dict[str, Any]]:
    """The newest n records, newest first; a line cut short by a crash is skipped."""
    path = root / LOG
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[-n * 2:]:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records[::-1][:n]
