"""flowers_transfer: five flower classes from class folders with ImageNet MobileNetV2 features (deck 000 실습 150).

Online only: tf_flowers (flower_photos.tgz, extracted by Keras under ~/.keras/datasets/flower_photos) and the
ImageNet MobileNetV2 weights (~/.keras/models/). Without them ingest stops and says what to provide. The
model takes image file paths (column `path`); the images are read and resized inside the estimator.
"""

from coursework.deep import ImageFiles, KerasClassifier, keras_factory
from coursework.spec import TaskSpec
from pipelines.flowers_transfer.data import flower_files
from pipelines.flowers_transfer.expectations import expectations
from pipelines.flowers_transfer.model import mobilenet_head


def transfer_classifier(image_size: int, random_state: int = 0, **hyperparams):
    """The classifier with an image reader of the params' size (flowers_transfer.source.image_size) in front."""
    factory = keras_factory(KerasClassifier, mobilenet_head, inputs=ImageFiles(int(image_size)))
    return factory(random_state=random_state, **hyperparams)


SPEC = TaskSpec(
    name="flowers_transfer",
    problem="classification",
    description="tf_flowers with a frozen ImageNet MobileNetV2 and a softmax head",
    source_label="tf_flowers + ImageNet MobileNetV2 weights (online)",
    external_data="tf_flowers class folders (source.path in params.yaml, or the Keras cache after a download) and the ImageNet MobileNetV2 weights",
    load_default=flower_files,
    target="label",
    numeric=("path",),  # passed through untouched (features: impute false, scaler none); ImageFiles reads it
    expectations=expectations,
    models={"mobilenet_v2": transfer_classifier},
    primary_metric="accuracy",
    anchor="≈ 0.88–0.91",
)
