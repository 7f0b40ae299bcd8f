"""iris_naive_bayes: species with Gaussian naive Bayes, confusion matrix and report (deck 003)."""

from sklearn.naive_bayes import GaussianNB

from coursework.spec import TaskSpec
from pipelines._shared.data import iris_frame
from pipelines._shared.iris import IRIS_ALIASES, IRIS_FEATURES, IRIS_IGNORED, IRIS_VALUE_ALIASES, iris_expectations

SPEC = TaskSpec(
    name="iris_naive_bayes",
    problem="classification",
    description="iris species with GaussianNB",
    source_label="scikit-learn load_iris",
    load_default=iris_frame,
    target="species",
    numeric=IRIS_FEATURES,
    expectations=iris_expectations,
    models={"gaussian_nb": GaussianNB},
    primary_metric="accuracy",
    anchor="0.953 (10-fold CV)",
    column_aliases=IRIS_ALIASES,
    value_aliases=IRIS_VALUE_ALIASES,
    ignored_columns=IRIS_IGNORED,
)
