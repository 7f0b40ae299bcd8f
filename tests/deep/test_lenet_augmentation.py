"""mnist_lenet's augmentation (random shifts and rotations) changes digits while training only, never a prediction."""

import numpy as np
import pytest

pytest.importorskip("keras")


def test_augmentation_acts_in_training_only():
    from coursework.deep import keras_module
    from pipelines.mnist_lenet.model import lenet5

    keras_module().utils.set_random_seed(0)
    network = lenet5((784,), 10, "softmax", pooling="max", dropout=0.25, shift=0.1, rotate=0.05)
    layers = [type(layer).__name__ for layer in network.layers]
    assert {"RandomTranslation", "RandomRotation", "MaxPooling2D", "Dropout"} <= set(layers)
    digits = np.random.default_rng(0).random((8, 784)).astype("float32")
    served = [np.asarray(network(digits, training=False)) for _ in range(2)]
    np.testing.assert_array_equal(served[0], served[1])  # predict is repeatable: no augmentation, no dropout
    trained = np.asarray(network(digits, training=True))
    assert np.abs(trained - served[0]).max() > 1e-4  # while training the input is moved and units dropped


def test_no_augmentation_layers_unless_asked():
    from pipelines.mnist_lenet.model import lenet5

    layers = {type(layer).__name__ for layer in lenet5((784,), 10, "softmax").layers}
    assert not layers & {"RandomTranslation", "RandomRotation", "Dropout"}
    assert "AveragePooling2D" in layers
