"""A convolutional autoencoder (deck 000 실습 300): 28x28 -> 7x7 code -> 28x28, Functional API."""


def conv_autoencoder(input_shape: tuple, n_outputs: int, output_activation: str, filters: list[int] = (32, 16)):
    """Conv/pool twice down to a 7x7 code, transposed convolutions back up, sigmoid pixels out (flattened)."""
    from coursework.deep import keras_module

    keras = keras_module()
    layers = keras.layers
    pixels = keras.Input(shape=input_shape)
    x = layers.Reshape((28, 28, 1))(pixels)
    x = layers.Conv2D(int(filters[0]), 3, activation="relu", padding="same")(x)
    x = layers.MaxPooling2D(2, padding="same")(x)                                # 14x14
    x = layers.Conv2D(int(filters[1]), 3, activation="relu", padding="same")(x)
    code = layers.MaxPooling2D(2, padding="same", name="code")(x)               # 7x7 code
    x = layers.Conv2DTranspose(int(filters[1]), 3, strides=2, activation="relu", padding="same")(code)
    x = layers.Conv2DTranspose(int(filters[0]), 3, strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2D(1, 3, activation=output_activation, padding="same", dtype="float32")(x)
    return keras.Model(pixels, layers.Flatten(dtype="float32")(x), name="conv_autoencoder")
