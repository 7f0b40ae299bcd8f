"""cifar10_cnn: ten classes of 32x32 colour images with a deeper CNN (deck 000, "Google Colab GPU").

CIFAR-10 is online only: read from Keras's cache (cifar-10-batches-py: data_batch_1..5, test_batch),
downloaded there by Keras where the network allows; otherwise ingest stops and says what to provide.
"""

from coursework.deep import KerasClassifier, PixelScale, keras_factory
from coursework.spec import TaskSpec
from pipelines._shared.pixels import DIGITS, pixel_columns, pixel_expectations
from pipelines.cifar10_cnn.data import CIFAR10_LABELS, keras_cifar10
from pipelines.cifar10_cnn.model import deeper_cnn

N_PIXELS = 32 * 32 * 3


def expectations() -> list:
    # px1584 is the red value of the centre pixel (row 16, column 16); natural photos average mid-grey
    return pixel_expectations(N_PIXELS, DIGITS, centre="px1584", centre_mean=(40, 220), stride=32, min_rows=100)


SPEC = TaskSpec(
    name="cifar10_cnn",
    problem="classification",
    description=f"CIFAR-10 ({', '.join(CIFAR10_LABELS)}) with a deeper CNN",
    source_label="Keras CIFAR-10 (online)",
    external_data="CIFAR-10 in the Keras cache (~/.keras/datasets/cifar-10-batches-py, downloaded where there is network) or source.path",
    load_default=keras_cifar10,
    target="label",
    numeric=pixel_columns(N_PIXELS),
    expectations=expectations,
    models={"cnn": keras_factory(KerasClassifier, deeper_cnn)},
    primary_metric="accuracy",
    anchor="small CNN 75–80%; ResNet-20 92%; airbench 94% in 3.3 s on an A100",
    feature_steps=lambda options: [("pixels", PixelScale(255))],
)
