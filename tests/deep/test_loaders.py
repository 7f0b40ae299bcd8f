"""The deep tasks' loaders on small files written in each loader's own format; clear errors without data."""

from __future__ import annotations

import gzip
import pickle

import numpy as np
import pytest
from PIL import Image

from pipelines._shared.data import digits_frame
from pipelines.cifar10_cnn.data import keras_cifar10
from pipelines.flowers_transfer.data import flower_files
from pipelines.malware_dense.data import malware_csv
from pipelines.sequence_lstm.data import counting_windows
from pipelines.stock_lstm.data import aapl_windows
from coursework.errors import SourceError


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty Keras cache of the test's own ($KERAS_HOME), so ~/.keras is never read or written."""
    home = tmp_path / "keras"
    (home / "datasets").mkdir(parents=True)
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


def images(n, shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, *shape), dtype=np.uint8)


def test_full_mnist_from_the_keras_npz(keras_home):
    x_train, x_test = images(6, (28, 28)), images(4, (28, 28), seed=1)
    np.savez(keras_home / "datasets" / "mnist.npz", x_train=x_train, y_train=np.arange(6) % 10,
             x_test=x_test, y_test=np.arange(4) % 10)
    frame = digits_frame(dataset="mnist", download=False)
    assert frame.shape == (10, 785) and list(frame.columns[:2]) == ["px0", "px1"]
    assert (frame.iloc[6, :784].to_numpy() == x_test[0].ravel()).all()  # train rows, then test rows
    assert frame["label"].tolist() == [0, 1, 2, 3, 4, 5, 0, 1, 2, 3]


def idx_file(path, array, labels: bool):
    header = (b"\x00\x00\x08\x01" + len(array).to_bytes(4, "big")) if labels else (
        b"\x00\x00\x08\x03" + len(array).to_bytes(4, "big") + (28).to_bytes(4, "big") + (28).to_bytes(4, "big"))
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.astype(np.uint8).tobytes())


def test_fashion_mnist_from_the_keras_idx_files(keras_home):
    folder = keras_home / "datasets" / "fashion-mnist"
    folder.mkdir()
    x_train, x_test = images(5, (28, 28)), images(3, (28, 28), seed=2)
    idx_file(folder / "train-labels-idx1-ubyte.gz", np.array([9, 0, 0, 3, 0]), labels=True)
    idx_file(folder / "train-images-idx3-ubyte.gz", x_train, labels=False)
    idx_file(folder / "t10k-labels-idx1-ubyte.gz", np.array([9, 2, 1]), labels=True)
    idx_file(folder / "t10k-images-idx3-ubyte.gz", x_test, labels=False)
    frame = digits_frame(dataset="fashion_mnist", download=False)
    assert frame.shape == (8, 785)
    assert frame["label"].tolist() == [9, 0, 0, 3, 0, 9, 2, 1]
    assert (frame.iloc[0, :784].to_numpy() == x_train[0].ravel()).all()


def test_cifar10_from_python_pickle_batches_in_the_keras_cache(keras_home):
    folder = keras_home / "datasets" / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    first = None
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        chw = images(2, (3, 32, 32), seed=i)
        first = chw[0] if first is None else first
        with (folder / name).open("wb") as fh:
            pickle.dump({b"data": chw.reshape(2, -1), b"labels": [i, (i + 1) % 10]}, fh)
    frame = keras_cifar10(download=False)
    assert frame.shape == (12, 32 * 32 * 3 + 1)
    hwc = first.transpose(1, 2, 0)  # channels last, as Keras gives it
    assert (frame.iloc[0, :3072].to_numpy() == hwc.ravel()).all()
    assert frame["label"].tolist()[:4] == [0, 1, 1, 2]


def flower_folders(root, per_class=3):
    for k, name in enumerate(["daisy", "dandelion", "roses", "sunflowers", "tulips"]):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(images(1, (20, 30, 3), seed=10 * k + i)[0]).save(root / name / f"{i}.png")


def test_flowers_from_class_folders_of_pngs(tmp_path, keras_home):
    flower_folders(keras_home / "datasets" / "flower_photos" / "flower_photos")  # tf_flowers nests one level
    frame = flower_files(96, download=False, require_weights=False)
    assert frame.shape == (15, 2) and sorted(frame["label"].unique()) == ["daisy", "dandelion", "roses", "sunflowers", "tulips"]
    from coursework.deep import ImageFiles

    pixels = ImageFiles(size=16)(frame[["path"]].to_numpy())
    assert pixels.shape == (15, 16, 16, 3) and pixels.max() <= 255


def test_flowers_need_the_imagenet_weights_too(keras_home):
    flower_folders(keras_home / "datasets" / "flower_photos")
    with pytest.raises(SourceError, match="mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5"):
        flower_files(96, download=False)


@pytest.mark.parametrize("load, says", [
    (lambda: digits_frame(dataset="mnist", download=False), "mnist.npz"),
    (lambda: digits_frame(dataset="fashion_mnist", download=False), "train-labels-idx1-ubyte.gz"),
    (lambda: keras_cifar10(download=False), "cifar-10-python.tar.gz"),
    (lambda: flower_files(96, download=False), "class folders"),
    (malware_csv, "--source"),
])
def test_without_data_the_loader_says_what_to_provide(keras_home, load, says):
    with pytest.raises(SourceError, match=says.replace(".", r"\.")):
        load()


def test_counting_windows_are_the_decks():
    frame = counting_windows()
    rows = {tuple(r[:5]): r[5] for r in frame.to_numpy()}
    assert rows[(5, 6, 7, 8, 9)] == 20 and rows[(35, 36, 37, 38, 39)] == 80
    assert len(frame) == 96 and frame["target"].max() == 200


def test_aapl_windows_load_offline_in_time_order():
    frame = aapl_windows(window=20)
    assert list(frame.columns[:3]) == ["date", "lag_20", "lag_19"] and frame.columns[-2:].tolist() == ["lag_1", "price"]
    assert frame["date"].is_monotonic_increasing and len(frame) == 3270 - 20
    assert (frame["lag_1"].iloc[1:].to_numpy() == frame["price"].iloc[:-1].to_numpy()).all()  # yesterday's price


@pytest.mark.parametrize("task", ["mnist_dense", "sequence_lstm", "stock_lstm"])
def test_offline_defaults_pass_their_expectations(task):
    from coursework import validate
    from pipelines import get_spec

    spec = get_spec(task)
    report = validate.validate_frame(spec.load_default(), task=task, expectations=spec.expectations())
    assert report["success"], report["failures"]
