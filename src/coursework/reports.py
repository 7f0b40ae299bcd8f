"""reports: the files a DVC stage declares, a task's test metrics (JSON) and plots (PNG).

Each file is written atomically, and only where nothing of the user's would be lost: a file is
overwritten only if this module wrote it (a metrics JSON with `passed_gate`, a PNG tagged with
MARK), and no folder is ever removed or renamed. `dvc repro` deletes its outputs before a stage, so
there the targets are simply new.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Mapping

from coursework.errors import OutputError
from coursework.fsutil import atomic_path, atomic_write_text

MARK = {"Software": "coursework reports"}  # a PNG text chunk: how a later run knows the plot is its own


def _is_our_metrics(path: Path) -> bool:
    try:
        body = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(body, dict) and "passed_gate" in body


def _is_our_plot(path: Path) -> bool:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.format == "PNG" and image.info.get("Software") == MARK["Software"]
    except (OSError, UnidentifiedImageError):
        return False


def check_metrics_target(path: Path) -> None:
    """Refuse a --metrics-out that is a folder, or a file this project did not write."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"--metrics-out {path} is a folder; give a file name such as {path / 'metrics.json'}")
    if path.exists() and not _is_our_metrics(path):
        raise OutputError(f"--metrics-out {path} exists and was not written by coursework; "
                          f"it is left as it is: choose another file name")


def check_plots_target(folder: Path, names: list[str] | None = None) -> None:
    """Refuse a --plots-out that is a file, or plot names that would overwrite files the user wrote.

    Without names (at the start of a run, before the figures exist) every PNG already there is checked.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"--plots-out {folder} is a file, not a folder; it is left as it is")
    if names is None:
        names = sorted(p.name for p in folder.glob("*.png")) if folder.is_dir() else []
    theirs = [n for n in names if (folder / n).exists() and not _is_our_plot(folder / n)]
    if theirs:
        raise OutputError(f"--plots-out {folder}: {', '.join(theirs)} already exist and were not written by "
                          f"coursework; they are left as they are: choose another folder")


def write_metrics(path: Path, metrics: Mapping[str, float], **extra: Any) -> Path:
    """metrics.json for `dvc metrics show/diff`: sorted keys, finite numbers, replaced in one rename."""
    path = Path(path)
    check_metrics_target(path)
    body = {k: (float(v) if math.isfinite(float(v)) else None) for k, v in sorted(metrics.items())}
    body.update(extra)
    body.setdefault("passed_gate", None)  # the key that tells a later run this file is its own
    return atomic_write_text(path, json.dumps(body, indent=2) + "\n")


def write_plots(folder: Path, figures: Mapping[str, Any]) -> Path:
    """One PNG per figure in `folder` (for `dvc plots show`), each replaced in one rename; other files stay."""
    folder = Path(folder)
    names = {Path(name).with_suffix(".png").name: figure for name, figure in sorted(figures.items())}
    check_plots_target(folder, list(names))  # every name checked before the first is written
    folder.mkdir(parents=True, exist_ok=True)
    for name, figure in names.items():
        with atomic_path(folder / name) as tmp:
            figure.savefig(tmp, dpi=100, format="png", metadata=MARK)
    return folder
