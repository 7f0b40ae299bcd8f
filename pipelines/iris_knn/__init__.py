"""iris_knn: species from the four measurements with k-nearest neighbours (deck 003, k=3)."""

from sklearn.neighbors import KNeighborsClassifier

from coursework.spec import TaskSpec
from pipelines._shared.data import iris_frame
from pipelines._shared.iris import IRIS_ALIASES, IRIS_FEATURES, IRIS_IGNORED, IRIS_VALUE_ALIASES, iris_expectations

SPEC = TaskSpec(
    name="iris_knn",
    problem="classification",
    description="iris species with KNN (k=3), the deck's 0.9833 seed result",
    source_label="scikit-learn load_iris",
    load_default=iris_frame,
    target="species",
    numeric=IRIS_FEATURES,
    expectations=iris_expectations,
    models={"knn": KNeighborsClassifier},
    primary_metric="accuracy",
    anchor="seed: accuracy 0.9833 (test_size=0.4, random_state=1)",
    column_aliases=IRIS_ALIASES,
    value_aliases=IRIS_VALUE_ALIASES,
    ignored_columns=IRIS_IGNORED,
)
