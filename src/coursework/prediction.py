"""prediction: what `coursework predict` checks before it loads a model, and how it writes the result."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from coursework.errors import CourseworkError, SourceError
from coursework.fsutil import atomic_path


def input_columns(frame: pd.DataFrame, needed: Sequence[str], *, task: str, source: Path) -> tuple[pd.DataFrame, list[str]]:
    """The model's input columns from a batch, and the batch's other columns (kept in the output, not used)."""
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise SourceError(f"{source}: missing input column(s) {missing} that {task}'s model needs")
    inputs = frame.loc[:, list(needed)]
    numeric = inputs.select_dtypes(include="number")
    infinite = [c for c in numeric.columns if np.isinf(numeric[c].to_numpy(dtype=float)).any()]
    if infinite:  # a model given inf returns nonsense or crashes deep inside scikit-learn: refuse it by name
        rows = int(np.isinf(numeric[infinite].to_numpy(dtype=float)).any(axis=1).sum())
        raise SourceError(f"{source}: column(s) {infinite} hold inf or -inf in {rows} row(s); "
                          "replace them with numbers or leave them blank")
    return inputs, [c for c in frame.columns if c not in needed]


def check_out_path(out: Path) -> None:
    """--out must name a file this user can write: not a folder, in a folder that exists or can be made."""
    if out.is_dir():
        raise CourseworkError(f"--out {out} is a folder; give a file name, e.g. {out / 'predictions.csv'}")
    parent = next((p for p in [out.parent, *out.parent.parents] if p.exists()), Path("."))
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise CourseworkError(f"--out {out}: cannot write there ({parent} is not a writable folder)")
    if out.exists() and not os.access(out, os.W_OK):
        raise CourseworkError(f"--out {out}: the file exists and is not writable")


def write_predictions(result: pd.DataFrame, out: Path) -> None:
    """The predictions as CSV, written whole or not at all."""
    try:
        with atomic_path(out) as tmp:
            result.to_csv(tmp, index=False)
    except OSError as exc:
        raise CourseworkError(f"--out {out}: cannot write it: {exc.strerror or exc}") from None
