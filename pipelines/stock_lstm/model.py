"""An LSTM that forecasts tomorrow's price from a window of past prices, scale-free (deck 000 실습 200)."""

_LAYERS: dict[str, type] = {}  # built once: Keras refuses a second registration under the same name


def custom_layers() -> dict[str, type]:
    """The task's own layers, registered so its saved `.keras` network loads back without code (safe_mode).

    Built on first call, not at import: importing the task list must not import Keras. The estimator
    calls this before building and before loading a saved network (keras_factory's custom_objects);
    a plain function, so the estimator's skops file names it like the builder.
    """
    if not _LAYERS:
        _LAYERS.update(_define_layers())
    return dict(_LAYERS)


def _define_layers() -> dict[str, type]:
    from coursework.deep import keras_module

    keras = keras_module()

    @keras.saving.register_keras_serializable(package="coursework")  # the name models saved before the move carry
    class RelativeToLast(keras.layers.Layer):
        """A window of prices as returns relative to its last value: scale-free input for an LSTM."""

        def call(self, x):
            return x / x[:, -1:] - 1.0

    @keras.saving.register_keras_serializable(package="coursework")
    class FromLastValue(keras.layers.Layer):
        """A predicted return back to a price: last value x (1 + return)."""

        def call(self, inputs):
            change, window = inputs
            return window[:, -1:] * (1.0 + keras.ops.cast(change, window.dtype))

    return {"RelativeToLast": RelativeToLast, "FromLastValue": FromLastValue}


def price_lstm(input_shape: tuple, n_outputs: int, output_activation: str | None, units: int = 32,
               return_scale: float = 10.0, dropout: float = 0.0):
    """Window -> returns relative to the last price -> LSTM -> predicted return -> price (Functional API).

    Working in returns lets one model serve 2000's $4 and 2012's $90 prices alike.
    """
    from coursework.deep import keras_module

    keras = keras_module()
    layers, own = keras.layers, custom_layers()
    window = keras.Input(shape=input_shape)
    x = own["RelativeToLast"]()(window)
    x = layers.Rescaling(float(return_scale))(x)  # daily moves of ~1% to ~0.1: a better range for the LSTM
    x = layers.Reshape((input_shape[0], 1))(x)
    x = layers.LSTM(int(units), dropout=float(dropout))(x)
    change = layers.Dense(1, dtype="float32")(x)
    change = layers.Rescaling(1.0 / float(return_scale), dtype="float32")(change)
    return keras.Model(window, own["FromLastValue"](dtype="float32")([change, window]), name="price_lstm")
