"""A small LSTM over a window of numbers (deck 000 실습 165)."""


def window_lstm(input_shape: tuple, n_outputs: int, output_activation: str | None, units: int = 32,
                scale: float = 0.01):
    """(window,) numbers -> rescaled to about 0..1 -> (window, 1) sequence -> LSTM -> next value."""
    from coursework.deep import keras_module

    keras = keras_module()
    layers = keras.layers
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Rescaling(float(scale)),  # numbers 0..99 to 0..0.99, inside the model so it serves raw windows
        layers.Reshape((input_shape[0], 1)),
        layers.LSTM(int(units)),
        layers.Dense(n_outputs, activation=output_activation, dtype="float32"),
    ], name="window_lstm")
