"""deep: Keras models as scikit-learn estimators, so the six steps, the gate and the registry take them as they are.

A task's model is still `Pipeline([features, estimator])`; the estimator here trains a Keras model
built by the task's backend-neutral builder, with the decks' training lessons: seeds, early stopping
with the best weights restored, a `.keras` checkpoint of the best epoch on val_loss, resume of a killed
run, learning curves, and the decks' post-processing inside predict (threshold 0.5 for sigmoid,
argmax for softmax, mapped back to the original labels). Keras is imported inside functions only, so
the classic tasks never pay for TensorFlow's import.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import os
import resource
import shutil
import time
from functools import lru_cache
from numbers import Integral, Real
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import Interval

from coursework import fsutil

DEFAULT_CHECKPOINTS = Path(".coursework") / "checkpoints"  # under the project root the CLI runs in
BEST, HISTORY, BACKUP = "best.weights.h5", "history.json", "backup"  # weights only: a full .keras per improving epoch costs ~0.2 s


def keras_module():
    """keras, imported on first use with TensorFlow's C++ chatter turned down."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # tf.data logs harmless C++ "errors" per fit
    import keras

    _register_layers(keras)
    return keras


def _plain(value: Any) -> Any:
    """params.yaml's frozen mappings and tuples as plain dicts and lists (estimators get cloned)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# ---------------------------------------------------------------- device, seeds, resources


def device_info() -> dict[str, Any]:
    """The device the backend trains on: the first GPU it sees (by name), else the CPU."""
    keras = keras_module()
    backend, name = keras.backend.backend(), None
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", gpus[0].name)
    elif backend == "torch":
        import torch

        name = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    elif backend == "jax":
        import jax

        name = next((str(d.device_kind) for d in jax.devices() if d.platform == "gpu"), None)
    return {"backend": backend, "device": name or "CPU", "gpu": name is not None,
            "precision": "mixed_float16" if name else "float32"}


def prepare_backend(seed: int) -> dict[str, Any]:
    """Seed Python, NumPy and the backend; mixed precision on a GPU; deterministic kernels on the CPU."""
    keras = keras_module()
    info = device_info()
    keras.utils.set_random_seed(int(seed))
    keras.mixed_precision.set_global_policy(info["precision"])
    if info["backend"] == "tensorflow" and not info["gpu"]:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return info


def peak_memory_mb(info: Mapping[str, Any]) -> float:
    """Peak memory of this run: the GPU's peak allocation there, else the process's peak RSS."""
    if info.get("gpu") and info.get("backend") == "tensorflow":
        import tensorflow as tf

        return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
    if info.get("gpu") and info.get("backend") == "torch":
        import torch

        return torch.cuda.max_memory_allocated() / 2**20
    status = Path("/proc/self/status")
    if status.is_file():  # VmHWM: the peak since reset_peak_memory(), so one task's fit, not the whole process
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def reset_peak_memory() -> None:
    """Start a new peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM); elsewhere a no-op."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


# ---------------------------------------------------------------- layers and inputs shared by tasks


@lru_cache(maxsize=1)
def _register_layers(keras) -> dict[str, type]:
    """Layers the task models share, registered so a saved `.keras` file loads back without code."""

    @keras.saving.register_keras_serializable(package="coursework")
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


def layer(name: str):
    """One of the shared layers above, by class name."""
    return _register_layers(keras_module())[name]


class PixelScale(TransformerMixin, BaseEstimator):
    """Pixel intensities 0..max_value to 0..1 by a fixed factor: every image keeps its contrast."""

    def __init__(self, max_value: float = 255.0):
        self.max_value = max_value

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X / float(self.max_value)


class ImageFiles:
    """Image file paths (one column) to an (n, size, size, 3) array of RGB pixels 0..255."""

    def __init__(self, size: int = 96):
        self.size = size

    def __repr__(self) -> str:  # stable: part of a training run's fingerprint
        return f"ImageFiles(size={self.size})"

    def __call__(self, X) -> np.ndarray:
        from PIL import Image

        paths = np.asarray(X).reshape(len(X), -1)[:, 0]
        out = np.empty((len(paths), self.size, self.size, 3), dtype=np.float32)
        for i, path in enumerate(paths):
            with Image.open(path) as img:
                out[i] = np.asarray(img.convert("RGB").resize((self.size, self.size)), dtype=np.float32)
        return out


# ---------------------------------------------------------------- training callbacks and checkpoints


def _epoch_log(keras, run_dir: Path, counter: dict):
    """A callback that appends each epoch's logs to history.json, so a killed run keeps its curves."""

    class EpochLog(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            path = run_dir / HISTORY
            rows = json.loads(path.read_text()) if path.is_file() else []
            rows = [r for r in rows if r["epoch"] < epoch] + [{"epoch": epoch, **{k: float(v) for k, v in (logs or {}).items()}}]
            path.write_text(json.dumps(rows))
            counter["epochs"] += 1

    return EpochLog()


def _callbacks(keras, run_dir: Path, patience: int, counter: dict) -> tuple[list, int]:
    """Backup/restore (resume), best-epoch checkpoint on val_loss, early stopping, the epoch log."""
    history = json.loads((run_dir / HISTORY).read_text()) if (run_dir / HISTORY).is_file() else []
    resumed = len(history) if (run_dir / BACKUP).exists() else 0
    best = min((r["val_loss"] for r in history if "val_loss" in r), default=None)
    checkpoint = keras.callbacks.ModelCheckpoint(
        str(run_dir / BEST), monitor="val_loss", save_best_only=True, save_weights_only=True, verbose=0,
        initial_value_threshold=best if resumed else None,  # a resumed run only saves epochs that beat the killed one's best
    )
    return [
        keras.callbacks.BackupAndRestore(str(run_dir / BACKUP), delete_checkpoint=True),
        checkpoint,
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=int(patience), restore_best_weights=True),
        _epoch_log(keras, run_dir, counter),
    ], resumed


def _fingerprint(params: Mapping[str, Any], X: np.ndarray, y: np.ndarray | None) -> str:
    """The same settings on the same data resume the same run; anything else starts a new one."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=repr).encode())
    for arr in (X, y):
        if arr is None:
            continue
        arr = np.ascontiguousarray(arr)
        digest.update(str(arr.shape).encode())
        digest.update(arr.tobytes() if arr.dtype != object else "\n".join(map(str, arr.ravel())).encode())
    return digest.hexdigest()[:16]


# ---------------------------------------------------------------- the estimators


class KerasEstimator(BaseEstimator):
    """A Keras model trained the way the decks teach, behind scikit-learn's fit/predict.

    build(input_shape, n_outputs, output_activation, **build_options) returns an uncompiled,
    backend-neutral keras.Model; this class compiles it with Adam and the loss its kind implies.
    `inputs` turns the features' output into the network's input (default: a float32 array).
    """

    kind = "base"
    # scikit-learn's own checks (BaseEstimator._validate_params), so params.yaml is refused before training
    _parameter_constraints: dict = {
        "build": [callable, None], "build_options": [dict, None],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "patience": [Interval(Integral, 0, None, closed="left")],
        "validation_split": [Interval(Real, 0, 1, closed="left")],
        "random_state": ["random_state"], "loss": [str, None], "checkpoint_dir": [str, None],
        "verbose": ["verbose"], "inputs": [callable, None], "callbacks": [list, None],
    }

    def __init__(self, build: Callable[..., Any] | None = None, build_options: Mapping[str, Any] | None = None, *,
                 epochs: int = 20, batch_size: int = 32, learning_rate: float = 1e-3, patience: int = 5,
                 validation_split: float = 0.1, random_state: int = 0, loss: str | None = None,
                 checkpoint_dir: str | None = None, verbose: int = 2, inputs: Callable | None = None,
                 callbacks: list | None = None):
        self.build, self.build_options = build, build_options
        self.epochs, self.batch_size, self.learning_rate = epochs, batch_size, learning_rate
        self.patience, self.validation_split, self.random_state = patience, validation_split, random_state
        self.loss, self.checkpoint_dir, self.verbose = loss, checkpoint_dir, verbose
        self.inputs, self.callbacks = inputs, callbacks

    # subclasses: how targets are encoded, which output layer, loss and metric
    def _targets(self, X: np.ndarray, y) -> tuple[np.ndarray, int, str | None, str, str]:
        raise NotImplementedError

    def _network_input(self, X) -> np.ndarray:
        if self.inputs is not None:
            return self.inputs(X)
        return np.asarray(X, dtype=np.float32)

    def _settings(self) -> dict[str, Any]:
        skip = {"checkpoint_dir", "verbose", "callbacks"}
        params = {k: v for k, v in self.get_params(deep=False).items() if k not in skip}
        params["build"] = getattr(self.build, "__qualname__", repr(self.build))
        return {"kind": self.kind, **params}

    def fit(self, X, y=None):
        """Train with early stopping and checkpoints; resume from the last backup of a killed identical run."""
        keras = keras_module()
        data = self._network_input(X)
        target, n_out, activation, loss, metric = self._targets(data, y)
        info = prepare_backend(self.random_state)
        reset_peak_memory()
        preferred = Path(self.checkpoint_dir or DEFAULT_CHECKPOINTS) / _fingerprint(self._settings(), data, target)
        with fsutil.claimed_dir(preferred) as run_dir:  # a live run of the same settings never shares our checkpoints
            if run_dir.exists() and not (run_dir / BACKUP).exists():
                shutil.rmtree(run_dir)  # a finished or never-backed-up run: start afresh
            run_dir.mkdir(parents=True, exist_ok=True)
            fsutil.claim_dir(run_dir)  # the owner, for a sweep: removed only once we are dead and it cannot resume
            network = self.build(tuple(data.shape[1:]), n_out, activation, **_plain(self.build_options or {}))
            network.compile(optimizer=keras.optimizers.Adam(learning_rate=float(self.learning_rate)),
                            loss=self.loss or loss, metrics=[metric])
            counter = {"epochs": 0}
            callbacks, resumed = _callbacks(keras, run_dir, self.patience, counter)
            start = time.perf_counter()
            network.fit(data, target, epochs=int(self.epochs), batch_size=int(self.batch_size),
                        validation_split=float(self.validation_split), shuffle=True, verbose=self.verbose,
                        callbacks=callbacks + list(self.callbacks or []))
            seconds = time.perf_counter() - start
            rows = json.loads((run_dir / HISTORY).read_text())
            if (run_dir / BEST).is_file():  # the best epoch over the whole run, killed part included
                network.load_weights(run_dir / BEST)
            self.model_, self.metric_ = network, metric
            self.history_ = {key: [r[key] for r in rows if key in r] for key in rows[-1] if key != "epoch"}
            n_fit = int(round(len(data) * (1 - float(self.validation_split))))
            best_epoch = int(np.argmin(self.history_["val_loss"])) + 1 if "val_loss" in self.history_ else len(rows)
            self.fit_stats_ = {
                **info, "train_seconds": seconds, "epochs_run": len(rows), "best_epoch": best_epoch,
                "resumed_from_epoch": resumed, "samples_per_sec": n_fit * counter["epochs"] / max(seconds, 1e-9),
                "peak_memory_mb": peak_memory_mb(info), "n_parameters": int(network.count_params()),
            }
            shutil.rmtree(run_dir, ignore_errors=True)  # finished: the logged model is the record now
        return self

    def _raw(self, X) -> np.ndarray:
        return np.asarray(self.model_.predict(self._network_input(X), batch_size=256, verbose=0), dtype=np.float64)

    def detached(self) -> "KerasEstimator":
        """A copy without the network, saved (skops) next to the `.keras` file that holds it."""
        other = copy.copy(self)
        other.model_ = None
        other.callbacks = None
        return other

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True  # only on the CPU with seeds is it repeatable
        return tags


class KerasClassifier(ClassifierMixin, KerasEstimator):
    """Sigmoid for two classes (threshold 0.5), softmax for more (argmax); predict returns the original labels."""

    kind = "classifier"

    def _targets(self, X, y):
        self.encoder_ = LabelEncoder().fit(np.asarray(y))
        self.classes_ = self.encoder_.classes_
        codes = self.encoder_.transform(np.asarray(y)).astype(np.int64)
        if len(self.classes_) == 2:
            return codes.astype(np.float32), 1, "sigmoid", "binary_crossentropy", "accuracy"
        return codes, len(self.classes_), "softmax", "sparse_categorical_crossentropy", "accuracy"

    def predict_proba(self, X) -> np.ndarray:
        p = self._raw(X)
        return np.column_stack([1 - p[:, 0], p[:, 0]]) if len(self.classes_) == 2 else p

    def predict(self, X) -> np.ndarray:
        p = self._raw(X)
        codes = np.where(p[:, 0] >= 0.5, 1, 0) if len(self.classes_) == 2 else p.argmax(axis=1)  # deck 001
        return self.classes_[codes]


class KerasRegressor(RegressorMixin, KerasEstimator):
    """A linear output on a standardised target; predict returns the target in its own units."""

    kind = "regressor"

    def _targets(self, X, y):
        values = np.asarray(y, dtype=np.float64).reshape(len(X), -1)
        self.y_mean_, self.y_std_ = values.mean(axis=0), values.std(axis=0) + 1e-12
        self.n_outputs_ = values.shape[1]
        return ((values - self.y_mean_) / self.y_std_).astype(np.float32), values.shape[1], None, "mse", "mae"

    def predict(self, X) -> np.ndarray:
        out = self._raw(X) * self.y_std_ + self.y_mean_
        return out[:, 0] if self.n_outputs_ == 1 else out


class KerasSeriesRegressor(KerasRegressor):
    """A regressor whose network scales by itself (e.g. relative to a window's last value): raw target."""

    kind = "series_regressor"

    def _targets(self, X, y):
        values = np.asarray(y, dtype=np.float64).reshape(len(X), -1)
        self.y_mean_, self.y_std_, self.n_outputs_ = np.zeros(values.shape[1]), np.ones(values.shape[1]), values.shape[1]
        return values.astype(np.float32), values.shape[1], None, "mse", "mae"


class KerasAutoencoder(KerasEstimator):
    """Learns X -> X; predict returns reconstructions, reconstruction_error the per-row mean squared error."""

    kind = "autoencoder"

    def _targets(self, X, y):
        self.n_features_in_ = int(np.prod(X.shape[1:]))
        return X, self.n_features_in_, "sigmoid", "binary_crossentropy", "mse"

    def predict(self, X) -> np.ndarray:
        return self._raw(X).reshape(len(X), -1)

    def reconstruction_error(self, X) -> np.ndarray:
        original = self._network_input(X).reshape(len(X), -1)
        return ((self.predict(X) - original) ** 2).mean(axis=1)


# ---------------------------------------------------------------- helpers for tasks, flows and tracking


def keras_factory(estimator: type[KerasEstimator], build: Callable[..., Any], **fixed: Any) -> Callable[..., KerasEstimator]:
    """A `models` factory: params.yaml hyperparams split into fit settings and the builder's options."""
    fit_keys = set(inspect.signature(KerasEstimator.__init__).parameters) - {"self", "build", "build_options"}

    def factory(random_state: int = 0, **hyperparams: Any) -> KerasEstimator:
        fit = {k: _plain(v) for k, v in {**fixed, **hyperparams}.items() if k in fit_keys}
        options = {k: _plain(v) for k, v in hyperparams.items() if k not in fit_keys}
        return estimator(build=build, build_options=options, random_state=random_state, **fit)

    factory.__name__ = f"{estimator.__name__}[{getattr(build, '__name__', 'build')}]"
    return factory


def is_keras(model: Any) -> bool:
    """Whether a fitted Pipeline's last step is one of the estimators above."""
    last = model[-1] if hasattr(model, "steps") else model
    return isinstance(last, KerasEstimator)


def serve(model: Any, X) -> np.ndarray:
    """What the served model returns: labels or values; an autoencoder's per-row reconstruction error."""
    if isinstance(model[-1], KerasAutoencoder):
        return model[-1].reconstruction_error(model[:-1].transform(X))
    return model.predict(X)


def save_network(model: Any, folder: Path) -> tuple[Path, Any]:
    """The fitted network as `<folder>/model.keras`, and the Pipeline without it (for skops, small)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "model.keras"
    model[-1].model_.save(path)
    from sklearn.pipeline import Pipeline

    return path, Pipeline([*model.steps[:-1], (model.steps[-1][0], model[-1].detached())])


def attach_network(pipeline: Any, path: str | Path) -> Any:
    """A detached Pipeline with its `.keras` network loaded back (the served model); no code runs from the file."""
    keras = keras_module()
    pipeline[-1].model_ = keras.saving.load_model(path, compile=False, safe_mode=True)  # refuses Lambda layers' bytecode
    return pipeline


def dense_network(input_shape: tuple, n_outputs: int, output_activation: str | None,
                  hidden: int | list[int] = (64, 32), dropout: float = 0.0, activation: str = "relu"):
    """Flatten -> [Dense -> Dropout] per hidden size (an int: one layer, so Optuna can tune it) -> output (Sequential API)."""
    keras = keras_module()
    layers = keras.layers
    network = keras.Sequential([keras.Input(shape=input_shape), layers.Flatten()], name="dense")
    for units in [hidden] if isinstance(hidden, int) else hidden:
        network.add(layers.Dense(int(units), activation=activation))
        if dropout:
            network.add(layers.Dropout(float(dropout)))
    network.add(layers.Dense(n_outputs, activation=output_activation, dtype="float32"))  # float32 under mixed precision
    return network
