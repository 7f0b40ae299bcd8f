"""blobs_kmeans's data: points drawn by scikit-learn's make_blobs, with the blob each came from."""

import pandas as pd
from sklearn.datasets import make_blobs


def generate(n_samples: int = 500, centers: int = 4, cluster_std: float = 1.0, random_state: int = 0) -> pd.DataFrame:
    """Points and the blob each was drawn from (the labels are for ARI only, never a feature)."""
    X, blob = make_blobs(n_samples=n_samples, centers=centers, cluster_std=cluster_std, random_state=random_state)
    return pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "blob": blob})
