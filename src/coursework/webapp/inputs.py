"""What a user hands the app, checked and turned into model input: a form row, a CSV, a digit image.

Pure functions (bytes and dicts in, a frame out); every refusal is a SourceError whose message the page
shows as it is.
"""

from __future__ import annotations

import io
import os
from typing import Any, Sequence

import numpy as np
import pandas as pd

from coursework.errors import SourceError

DEFAULT_MAX_MB = 10.0
SIDE = 28  # MNIST's 28x28 inputs: px0..px783, row-major, 0..255 with light ink on a dark ground
BOX = 20  # MNIST centres each digit's ink in a 20x20 box inside the 28x28 frame


def max_mb() -> float:
    """The upload limit in MB: COURSEWORK_APP_MAX_MB (set by `coursework app --max-mb`), else 10."""
    raw = os.environ.get("COURSEWORK_APP_MAX_MB", "")
    try:
        return float(raw) if raw else DEFAULT_MAX_MB
    except ValueError:
        return DEFAULT_MAX_MB


def check_size(name: str, size: int, limit_mb: float) -> None:
    if size > limit_mb * 1024 * 1024:
        raise SourceError(f"{name} is {size / 1024 / 1024:.1f} MB, over the {limit_mb:g} MB limit")


def is_image_task(columns: Sequence[str]) -> bool:
    """A model whose inputs are exactly the 784 pixels of a 28x28 grayscale image."""
    return list(columns) == [f"px{i}" for i in range(SIDE * SIDE)]


def read_csv(name: str, data: bytes, needed: Sequence[str]) -> pd.DataFrame:
    """The uploaded CSV's rows, refused by name when unreadable, empty, or missing one of the model's columns."""
    try:
        frame = pd.read_csv(io.BytesIO(data))
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise SourceError(f"{name} is not a readable CSV file: {str(exc).splitlines()[0]}") from None
    if frame.empty:
        raise SourceError(f"{name} has a header but no rows")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise SourceError(f"{name} lacks the column(s) the model needs: {', '.join(missing)}")
    return frame


def check_types(frame: pd.DataFrame, features: Sequence[dict[str, Any]], name: str) -> None:
    """A numeric feature whose cells are not numbers is named with the first bad row (1-based, after the header)."""
    for feature in features:
        if feature["kind"] != "numeric" or feature["name"] not in frame.columns:
            continue
        column = frame[feature["name"]]
        numbers = pd.to_numeric(column, errors="coerce")
        bad = numbers.isna() & column.notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise SourceError(f"{name}: column '{feature['name']}' must be a number, but row {row + 1} holds "
                              f"{column.iloc[row]!r}")


def form_row(values: dict[str, Any], features: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One input row from the form's values, in the model's column order."""
    return pd.DataFrame([{f["name"]: values.get(f["name"]) for f in features}])


def image_row(name: str, data: bytes) -> pd.DataFrame:
    """An uploaded PNG/JPG of any size as one 28x28 MNIST row (px0..px783, 0..255), as the training data holds it."""
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError):
        raise SourceError(f"{name} is not an image PNG or JPG can read") from None
    gray = np.asarray(image.convert("L"), dtype=np.float64)
    if gray.mean() > 127:  # dark ink on light paper: MNIST stores light ink on a dark ground
        gray = 255.0 - gray
    pixels = _centred(gray)
    return pd.DataFrame([pixels.reshape(-1).round().astype(np.int64)], columns=[f"px{i}" for i in range(SIDE * SIDE)])


def _centred(gray: np.ndarray) -> np.ndarray:
    """The ink's bounding box, squared, scaled into a 20x20 box and centred in 28x28, as MNIST was prepared."""
    from PIL import Image

    ink = np.argwhere(gray > 0.2 * gray.max()) if gray.max() > 0 else np.empty((0, 2))
    if len(ink) == 0:
        raise SourceError("the image is blank: no digit to read")
    (top, left), (bottom, right) = ink.min(axis=0), ink.max(axis=0) + 1
    crop = gray[top:bottom, left:right]
    side = max(crop.shape)
    square = np.zeros((side, side))
    y, x = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
    square[y:y + crop.shape[0], x:x + crop.shape[1]] = crop
    small = np.asarray(Image.fromarray(square.astype(np.float32)).resize((BOX, BOX), Image.LANCZOS))
    out = np.zeros((SIDE, SIDE))
    offset = (SIDE - BOX) // 2
    out[offset:offset + BOX, offset:offset + BOX] = np.clip(small, 0, 255)
    return out * (255.0 / out.max()) if out.max() > 0 else out  # full contrast, as the scanned digits have
