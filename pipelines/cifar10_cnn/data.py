"""cifar10_cnn's data: CIFAR-10 from Keras's cache (python-pickle batches), as pixel columns.

CIFAR-10 ships in no PyPI package: it is read from the layout Keras writes under $KERAS_HOME, downloaded
there by Keras where the network allows, and otherwise refused with one message that says what to provide.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd

from coursework import sources
from coursework.errors import SourceError
from pipelines._shared.data import pixel_frame

CIFAR10_LABELS = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def _cifar_folder(path: str | Path | None) -> Path:
    if path:
        return Path(path)
    base = sources.keras_home() / "datasets"
    for folder in (base / "cifar-10-batches-py-target" / "cifar-10-batches-py", base / "cifar-10-batches-py"):
        if (folder / "test_batch").is_file():
            return folder
    return base / "cifar-10-batches-py-target" / "cifar-10-batches-py"  # where Keras 3 extracts it


def _cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One python-pickle batch: data (n, 3072) channel-first, labels."""
    with path.open("rb") as fh:
        batch = pickle.load(fh, encoding="bytes")
    batch = {(k.decode() if isinstance(k, bytes) else k): v for k, v in batch.items()}
    images = np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return images, np.asarray(batch["labels"])


def keras_cifar10(path: str | Path | None = None, download: bool = True, limit: int | None = None) -> pd.DataFrame:
    """CIFAR-10 (60,000 32x32 RGB) from Keras's cache: data_batch_1..5 and test_batch, as pixel columns."""
    folder = _cifar_folder(path)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    if not all((folder / n).is_file() for n in names) and download and not path:
        sources.keras_download(lambda: sources.keras_datasets().cifar10.load_data(), "CIFAR-10",
                               f"Extract cifar-10-python.tar.gz so that {folder}/data_batch_1 exists (or set source.path).")
        folder = _cifar_folder(path)
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise SourceError(f"CIFAR-10: {folder} lacks {', '.join(missing)}; extract cifar-10-python.tar.gz "
                          f"(the python version) there or set source.path in params.yaml")
    parts = [_cifar_batch(folder / n) for n in names]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    return sources.balanced_limit(pixel_frame(images, labels), limit)
