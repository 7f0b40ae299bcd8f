"""LeNet-5 (LeCun et al., 1998) in backend-neutral Keras: two convolution/pooling stages, then 120-84-10."""


def lenet5(input_shape: tuple, n_outputs: int, output_activation: str, filters: list[int] = (6, 16),
           dense: list[int] = (120, 84), activation: str = "relu", pooling: str = "average", dropout: float = 0.0,
           shift: float = 0.0, rotate: float = 0.0):
    """Flattened 28x28 pixels in; the 1998 layout with ReLU (the deck's Keras version) by default.

    shift > 0 adds random translations by up to that fraction of the image, rotate > 0 random rotations by
    up to that fraction of a full turn, both while training only (inactive at predict time): 4,000
    training digits are few for a CNN, and slightly shifted or tilted copies are still digits.
    """
    from coursework.deep import keras_module

    keras = keras_module()
    layers = keras.layers
    pool = layers.AveragePooling2D if pooling == "average" else layers.MaxPooling2D
    network = keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Reshape((28, 28, 1)),
        *([layers.RandomTranslation(float(shift), float(shift), fill_mode="constant")] if shift else []),
        *([layers.RandomRotation(float(rotate), fill_mode="constant")] if rotate else []),
        layers.Conv2D(int(filters[0]), 5, padding="same", activation=activation),  # C1: 28x28x6
        pool(2),                                                                   # S2: 14x14x6
        layers.Conv2D(int(filters[1]), 5, activation=activation),                  # C3: 10x10x16
        pool(2),                                                                   # S4: 5x5x16
        layers.Flatten(),
    ], name="lenet5")
    for units in dense:                                                            # C5 120, F6 84
        network.add(layers.Dense(int(units), activation=activation))
        if dropout:
            network.add(layers.Dropout(float(dropout)))
    network.add(layers.Dense(n_outputs, activation=output_activation, dtype="float32"))
    return network
