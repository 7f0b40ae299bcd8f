"""A deeper CNN for CIFAR-10 (deck 000): three conv-conv-pool blocks with batch norm and dropout."""


def deeper_cnn(input_shape: tuple, n_outputs: int, output_activation: str, filters: list[int] = (32, 64, 128),
               dense: int = 256, dropout: float = 0.25):
    from coursework.deep import keras_module

    keras = keras_module()
    layers = keras.layers
    network = keras.Sequential([keras.Input(shape=input_shape), layers.Reshape((32, 32, 3))], name="deeper_cnn")
    for n in filters:
        for _ in range(2):
            network.add(layers.Conv2D(int(n), 3, padding="same", use_bias=False))
            network.add(layers.BatchNormalization())
            network.add(layers.Activation("relu"))
        network.add(layers.MaxPooling2D(2))
        network.add(layers.Dropout(float(dropout)))
    network.add(layers.Flatten())
    network.add(layers.Dense(int(dense), activation="relu"))
    network.add(layers.Dropout(2 * float(dropout)))
    network.add(layers.Dense(n_outputs, activation=output_activation, dtype="float32"))
    return network
