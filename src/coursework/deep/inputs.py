"""deep.inputs: feature steps the image tasks share (pixel scaling, image files to pixel arrays)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin


class PixelScale(TransformerMixin, BaseEstimator):
    """Pixel intensities 0..max_value to 0..1 by a fixed factor: every image keeps its contrast."""

    def __init__(self, max_value: float = 255.0):
        self.max_value = max_value

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X / float(self.max_value)


class ImageFiles:
    """Image file paths (one column) to an (n, size, size, 3) array of RGB pixels 0..255."""

    def __init__(self, size: int = 96):
        self.size = size

    def __repr__(self) -> str:  # stable: part of a training run's fingerprint
        return f"ImageFiles(size={self.size})"

    def __call__(self, X) -> np.ndarray:
        from PIL import Image

        paths = np.asarray(X).reshape(len(X), -1)[:, 0]
        out = np.empty((len(paths), self.size, self.size, 3), dtype=np.float32)
        for i, path in enumerate(paths):
            with Image.open(path) as img:
                out[i] = np.asarray(img.convert("RGB").resize((self.size, self.size)), dtype=np.float32)
        return out
