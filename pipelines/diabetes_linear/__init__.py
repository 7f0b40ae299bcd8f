"""diabetes_linear: one-year disease progression from ten baseline measurements (deck 000 실습 010)."""

from functools import partial

from sklearn.linear_model import LinearRegression

from coursework.sources import sklearn_frame
from coursework.spec import TaskSpec
from pipelines.diabetes_linear.expectations import FEATURES, expectations

SPEC = TaskSpec(
    name="diabetes_linear",
    problem="regression",
    description="diabetes progression with LinearRegression",
    source_label="scikit-learn load_diabetes",
    load_default=partial(sklearn_frame, "diabetes", target="progression"),
    target="progression",
    numeric=FEATURES,
    expectations=expectations,
    models={"linear": LinearRegression},
    primary_metric="r2",
    anchor="held-out R² ≈ 0.45–0.5",
)
