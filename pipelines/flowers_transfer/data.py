"""flowers_transfer's data: tf_flowers (or any class-folder image set) as (path, label) rows, and the ImageNet
MobileNetV2 weights the model needs, both from Keras's cache (downloaded there where the network allows)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from coursework import sources
from coursework.errors import SourceError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
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


def _keras():
    from coursework.deep import keras_module

    return keras_module()


def mobilenet_weights(image_size: int, download: bool = True) -> Path:
    """The ImageNet MobileNetV2 (no top) weights file Keras caches under models/; downloaded if it can be."""
    name = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{int(image_size)}_no_top.h5"
    file = sources.keras_home() / "models" / name
    if not file.is_file() and download:
        def fetch():
            _keras().applications.MobileNetV2(input_shape=(image_size, image_size, 3), include_top=False,
                                              weights="imagenet")
        sources.keras_download(fetch, "the ImageNet MobileNetV2 weights", f"Put {name} in {file.parent}.")
    if not file.is_file():
        raise SourceError(f"the ImageNet MobileNetV2 weights are not at {file}; put {name} there")
    return file


def flower_files(image_size: int, path: str | Path | None = None, download: bool = True,
                 require_weights: bool = True) -> pd.DataFrame:
    """tf_flowers (or any class-folder image set) as rows of (path, label); checks the ImageNet weights too."""
    default = sources.keras_home() / "datasets" / "flower_photos"
    root = _class_root(Path(path) if path else default)
    if root is None and download and not path:
        def fetch():
            _keras().utils.get_file("flower_photos", origin=FLOWERS_URL, untar=True)
        sources.keras_download(fetch, "tf_flowers", f"Extract flower_photos.tgz into {default} (one folder per "
                                                    f"class), or set source.path to a folder of class folders.")
        root = _class_root(default)
    if root is None:
        raise SourceError(f"flowers: no class folders of images at {Path(path) if path else default}; give a folder "
                          f"with one sub-folder of images per class (source.path in params.yaml)")
    if require_weights:
        mobilenet_weights(image_size, download)
    rows = [(str(f.resolve()), d.name) for d in sorted(root.iterdir()) if d.is_dir()
            for f in sorted(d.iterdir()) if f.suffix.lower() in IMAGE_SUFFIXES]
    return pd.DataFrame(rows, columns=["path", "label"])
