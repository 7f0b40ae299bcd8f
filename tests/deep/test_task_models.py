"""Every deep task's model factory, as params.yaml calls it, builds and trains one epoch on tiny inputs of its shape."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from coursework import deep
from coursework.train import build_model
from pipelines import get_spec

pytest.importorskip("keras")

FAST = dict(epochs=1, batch_size=16, patience=1, verbose=0)
RNG = np.random.default_rng(0)


def pixels(n, size):
    return pd.DataFrame(RNG.integers(0, 256, size=(n, size)), columns=[f"px{i}" for i in range(size)])


CASES = {  # task: (model name, tiny builder options, inputs, target)
    "boston_dense": ("dense", {"hidden": [4]}, pd.DataFrame(RNG.normal(size=(40, 13))), RNG.normal(20, 5, 40)),
    "wine_dense": ("dense", {"hidden": [4]}, pd.DataFrame(RNG.normal(size=(40, 13))), np.arange(40) % 3),
    "mnist_dense": ("dense", {"hidden": [8], "dropout": 0.2}, pixels(40, 784), np.arange(40) % 10),
    "mnist_lenet": ("lenet5", {"shift": 0.1, "rotate": 0.05, "pooling": "max", "dropout": 0.25}, pixels(40, 784),
                    np.arange(40) % 10),
    "fashion_autoencoder": ("conv_ae", {"filters": [2, 2]}, pixels(40, 784), np.arange(40) % 10),
    "cifar10_cnn": ("cnn", {"filters": [2, 2, 2], "dense": 4}, pixels(40, 3072), np.arange(40) % 10),
    "sequence_lstm": ("lstm", {"units": 4}, pd.DataFrame(np.arange(40)[:, None] + np.arange(5)), np.arange(40) * 2.0),
    "stock_lstm": ("lstm", {"units": 4}, pd.DataFrame(50 + RNG.normal(size=(40, 20)).cumsum(axis=1)), 50 + RNG.normal(size=40)),
}


@pytest.mark.parametrize("task", sorted(CASES))
def test_task_model_trains_and_predicts(task, tmp_path):
    spec = get_spec(task)
    name, options, X, y = CASES[task]
    model = build_model(spec.models[name], {**FAST, **options, "checkpoint_dir": str(tmp_path)}, seed=0)
    X = X.set_axis([str(c) for c in X.columns], axis=1)
    X = spec.feature_steps({})[0][1].transform(X) if spec.feature_steps else X
    model.fit(X.to_numpy(dtype=float), y)
    predicted = model.predict(X.to_numpy(dtype=float))
    if spec.problem == "classification":
        assert set(predicted) <= set(y)
    elif spec.problem == "reconstruction":
        assert predicted.shape == X.shape
    else:
        assert predicted.shape == (len(X),) and np.isfinite(predicted).all()


def test_flowers_transfer_reads_image_files_and_returns_class_names(tmp_path):
    classes = ["daisy", "dandelion", "roses", "sunflowers", "tulips"]
    paths = []
    for k, name in enumerate(classes):
        for i in range(4):
            path = tmp_path / name / f"{i}.png"
            path.parent.mkdir(exist_ok=True)
            Image.fromarray(RNG.integers(0, 256, size=(40, 50, 3), dtype=np.uint8)).save(path)
            paths.append((str(path), name))
    frame = pd.DataFrame(paths, columns=["path", "label"])
    spec = get_spec("flowers_transfer")
    # weights=None: no ImageNet weights offline; the real run needs them (ingest checks for them)
    model = build_model(spec.models["mobilenet_v2"], {**FAST, "image_size": 32, "weights": None,
                                                      "checkpoint_dir": str(tmp_path / "ckpt")}, seed=0)
    model.fit(frame[["path"]].to_numpy(), frame["label"])
    assert isinstance(model.inputs, deep.ImageFiles) and model.inputs.size == 32
    assert set(model.predict(frame[["path"]].to_numpy())) <= set(classes)
