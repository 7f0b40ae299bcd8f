"""blobs_kmeans: k-means on make_blobs, k chosen by silhouette, scored against the true blobs (deck 000 실습 080)."""

import pandas as pd
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs

from coursework.spec import TaskSpec
from pipelines.blobs_kmeans.expectations import expectations


def generate(n_samples: int = 500, centers: int = 4, cluster_std: float = 1.0, random_state: int = 0) -> pd.DataFrame:
    """Points and the blob each was drawn from (the labels are for ARI only, never a feature)."""
    X, blob = make_blobs(n_samples=n_samples, centers=centers, cluster_std=cluster_std, random_state=random_state)
    return pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "blob": blob})


SPEC = TaskSpec(
    name="blobs_kmeans",
    problem="clustering",
    description="KMeans on make_blobs; k chosen by Optuna on silhouette",
    source_label="scikit-learn make_blobs",
    load_default=generate,
    target=None,
    label_column="blob",
    numeric=("x1", "x2"),
    expectations=expectations,
    models={"kmeans": KMeans},
    primary_metric="silhouette",
    anchor="silhouette; ARI against the generating labels",
)
