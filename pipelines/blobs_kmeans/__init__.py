"""blobs_kmeans: k-means on make_blobs, k chosen by silhouette, scored against the true blobs (deck 000 실습 080)."""

from sklearn.cluster import KMeans

from coursework.spec import TaskSpec
from pipelines.blobs_kmeans.data import generate
from pipelines.blobs_kmeans.expectations import expectations

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
