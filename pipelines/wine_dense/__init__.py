"""wine_dense: three wine cultivars with a Dense network, softmax and sparse categorical cross-entropy (deck 001)."""

from functools import partial

from coursework.deep import KerasClassifier, dense_network, keras_factory
from coursework.sources import sklearn_frame
from coursework.spec import TaskSpec
from pipelines.wine_dense.expectations import FEATURES, expectations

SPEC = TaskSpec(
    name="wine_dense",
    problem="classification",
    description="wine cultivar (3 classes) with Dense + softmax, argmax back to the labels",
    source_label="scikit-learn load_wine",
    load_default=partial(sklearn_frame, "wine", target="cultivar"),
    target="cultivar",
    numeric=FEATURES,
    expectations=expectations,
    models={"dense": keras_factory(KerasClassifier, dense_network)},
    primary_metric="accuracy",
    anchor="≈ 0.95–1.0",
)
