"""reports: the files a DVC stage declares, a task's test metrics (JSON) and plots (PNG), written atomically."""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any, Mapping


def write_metrics(path: Path, metrics: Mapping[str, float], **extra: Any) -> Path:
    """metrics.json for `dvc metrics show/diff`: sorted keys, finite numbers, replaced in one rename."""
    path = Path(path)
    body = {k: (float(v) if math.isfinite(float(v)) else None) for k, v in sorted(metrics.items())}
    body.update(extra)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(body, indent=2) + "\n")
    tmp.replace(path)
    return path


def write_plots(folder: Path, figures: Mapping[str, Any]) -> Path:
    """One PNG per figure in `folder` (for `dvc plots show`); the folder is swapped in whole."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    for name, figure in sorted(figures.items()):
        figure.savefig(tmp / Path(name).with_suffix(".png").name, dpi=100)
    old = folder.with_name(f".{folder.name}-old")
    if folder.exists():
        shutil.rmtree(old, ignore_errors=True)
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return folder
