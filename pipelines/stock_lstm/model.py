"""An LSTM that forecasts tomorrow's price from a window of past prices, scale-free (deck 000 실습 200)."""


def price_lstm(input_shape: tuple, n_outputs: int, output_activation: str | None, units: int = 32,
               return_scale: float = 10.0, dropout: float = 0.0):
    """Window -> returns relative to the last price -> LSTM -> predicted return -> price (Functional API).

    Working in returns lets one model serve 2000's $4 and 2012's $90 prices alike.
    """
    from coursework.deep import keras_module, layer

    keras = keras_module()
    layers = keras.layers
    window = keras.Input(shape=input_shape)
    x = layer("RelativeToLast")()(window)
    x = layers.Rescaling(float(return_scale))(x)  # daily moves of ~1% to ~0.1: a better range for the LSTM
    x = layers.Reshape((input_shape[0], 1))(x)
    x = layers.LSTM(int(units), dropout=float(dropout))(x)
    change = layers.Dense(1, dtype="float32")(x)
    change = layers.Rescaling(1.0 / float(return_scale), dtype="float32")(change)
    return keras.Model(window, layer("FromLastValue")(dtype="float32")([change, window]), name="price_lstm")
