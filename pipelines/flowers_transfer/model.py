"""Transfer learning (deck 000 실습 150): a frozen ImageNet MobileNetV2 as feature extractor + a softmax head."""


def mobilenet_head(input_shape: tuple, n_outputs: int, output_activation: str, weights: str | None = "imagenet",
                   dropout: float = 0.2, trainable: bool = False):
    """RGB pixels 0..255 in; MobileNetV2's own scaling to -1..1 inside the model; pooled features -> Dense."""
    from coursework.deep import keras_module

    keras = keras_module()
    layers = keras.layers
    base = keras.applications.MobileNetV2(input_shape=input_shape, include_top=False, weights=weights, pooling="avg")
    base.trainable = bool(trainable)
    image = keras.Input(shape=input_shape)
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0)(image)  # what mobilenet_v2.preprocess_input does
    x = base(x, training=False)
    x = layers.Dropout(float(dropout))(x)
    return keras.Model(image, layers.Dense(n_outputs, activation=output_activation, dtype="float32")(x),
                       name="mobilenet_v2_transfer")
