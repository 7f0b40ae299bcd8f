"""deep.estimators: Keras models behind scikit-learn's fit/predict, trained the way the decks teach.

Seeds, early stopping with the best epoch's weights (on val_loss) restored, resume of a killed run from
a backup written at most every `backup_every_s` seconds, learning curves, and the decks' post-processing
inside predict (threshold 0.5 for sigmoid, argmax for softmax, mapped back to the original labels).
"""

from __future__ import annotations

import copy
import shutil
import time
from numbers import Integral, Real
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval

from coursework import fsutil
from coursework.config import thaw
from coursework.deep import checkpoints
from coursework.deep.runtime import keras_module, peak_memory_mb, prepare_backend, reset_peak_memory


class KerasEstimator(BaseEstimator):
    """A Keras model trained the way the decks teach, behind scikit-learn's fit/predict.

    build(input_shape, n_outputs, output_activation, **build_options) returns an uncompiled,
    backend-neutral keras.Model; this class compiles it with Adam and the loss its kind implies.
    `inputs` turns the features' output into the network's input (default: a float32 array).
    `custom_objects()` registers and returns a task's own layers, so its saved network loads back.
    """

    kind = "base"
    backup_every_s = checkpoints.BACKUP_EVERY_S  # models saved before the setting existed load without it
    flavor = "keras"  # how tracking logs it: the network as `.keras`, the rest as skops (coursework.tracking_keras)
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
        "custom_objects": [callable, None], "backup_every_s": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, build: Callable[..., Any] | None = None, build_options: Mapping[str, Any] | None = None, *,
                 epochs: int = 20, batch_size: int = 32, learning_rate: float = 1e-3, patience: int = 5,
                 validation_split: float = 0.1, random_state: int = 0, loss: str | None = None,
                 checkpoint_dir: str | None = None, verbose: int = 2, inputs: Callable | None = None,
                 callbacks: list | None = None, custom_objects: Callable[[], dict] | None = None,
                 backup_every_s: float = checkpoints.BACKUP_EVERY_S):
        self.build, self.build_options = build, build_options
        self.epochs, self.batch_size, self.learning_rate = epochs, batch_size, learning_rate
        self.patience, self.validation_split, self.random_state = patience, validation_split, random_state
        self.loss, self.checkpoint_dir, self.verbose = loss, checkpoint_dir, verbose
        self.inputs, self.callbacks, self.custom_objects = inputs, callbacks, custom_objects
        self.backup_every_s = backup_every_s

    # subclasses: how targets are encoded, which output layer, loss and metric
    def _targets(self, X: np.ndarray, y) -> tuple[np.ndarray, int, str | None, str, str]:
        raise NotImplementedError

    def _network_input(self, X) -> np.ndarray:
        if self.inputs is not None:
            return self.inputs(X)
        return np.asarray(X, dtype=np.float32)

    def _settings(self) -> dict[str, Any]:
        # none changes what is trained (so a backup resumes whatever the interval it was written under)
        skip = {"checkpoint_dir", "verbose", "callbacks", "custom_objects", "backup_every_s"}
        params = {k: v for k, v in self.get_params(deep=False).items() if k not in skip}
        params["build"] = getattr(self.build, "__qualname__", repr(self.build))
        return {"kind": self.kind, **params}

    def fit(self, X, y=None):
        """Train with early stopping and checkpoints; resume from the last backup of a killed identical run."""
        data = self._network_input(X)
        target, n_out, activation, loss, metric = self._targets(data, y)
        info = prepare_backend(self.random_state)
        reset_peak_memory()
        preferred = Path(self.checkpoint_dir or checkpoints.DEFAULT_CHECKPOINTS) / checkpoints.fingerprint(
            self._settings(), data, target)
        with fsutil.claimed_dir(preferred) as run_dir:  # a live run of the same settings never shares our checkpoints
            state = checkpoints.resume_state(run_dir) if run_dir.exists() else None
            if state is None:
                shutil.rmtree(run_dir, ignore_errors=True)  # never backed up, or the kill cut the backup short: afresh
            run_dir.mkdir(parents=True, exist_ok=True)
            fsutil.claim_dir(run_dir)  # the owner, for a sweep: removed only once we are dead and it cannot resume
            network = self._compiled(data.shape[1:], n_out, activation, loss, metric)
            self._train(network, data, target, run_dir, info, state)
            self.metric_ = metric
            shutil.rmtree(run_dir, ignore_errors=True)  # finished: the logged model is the record now
        return self

    def _compiled(self, input_shape: tuple, n_out: int, activation: str | None, loss: str, metric: str):
        """The task's network, compiled with Adam and the loss its kind implies (or the one params.yaml names)."""
        keras = keras_module()
        if self.custom_objects is not None:
            self.custom_objects()  # registers the task's own layers before the builder uses them
        network = self.build(tuple(input_shape), n_out, activation, **thaw(self.build_options or {}))
        network.compile(optimizer=keras.optimizers.Adam(learning_rate=float(self.learning_rate)),
                        loss=self.loss or loss, metrics=[metric])
        return network

    def _train(self, network, data: np.ndarray, target: np.ndarray, run_dir: Path, info: dict[str, Any],
               state: dict | None) -> None:
        """Fit in run_dir, restore the best epoch of the whole run (killed part included), keep the record."""
        callbacks = checkpoints.callbacks(keras_module(), run_dir, self.patience, float(self.backup_every_s), state)
        record = callbacks[0]
        start = time.perf_counter()
        network.fit(data, target, epochs=int(self.epochs), batch_size=int(self.batch_size),
                    validation_split=float(self.validation_split), shuffle=True, verbose=self.verbose,
                    callbacks=callbacks + list(self.callbacks or []))
        seconds = time.perf_counter() - start
        rows = record.rows
        if record.best_weights is not None:
            network.set_weights(record.best_weights)
        self.model_ = network
        self.history_ = {key: [r[key] for r in rows if key in r] for key in rows[-1] if key != "epoch"}
        n_fit = int(round(len(data) * (1 - float(self.validation_split))))
        best_epoch = int(np.argmin(self.history_["val_loss"])) + 1 if "val_loss" in self.history_ else len(rows)
        self.fit_stats_ = {
            **info, "train_seconds": seconds, "epochs_run": len(rows), "best_epoch": best_epoch,
            "resumed_from_epoch": record.resumed, "backups_written": record.backups,
            "samples_per_sec": n_fit * (len(rows) - record.resumed) / max(seconds, 1e-9),
            "peak_memory_mb": peak_memory_mb(info), "n_parameters": int(network.count_params()),
        }

    def training_history(self) -> dict[str, list[float]]:
        """Per-epoch logs of the fit (loss, val_loss, the metric), what the learning curves show."""
        return dict(getattr(self, "history_", None) or {})

    def training_stats(self) -> dict[str, Any]:
        """How the fit went: device, speed, peak memory, epochs run, best epoch, parameter count."""
        return dict(getattr(self, "fit_stats_", None) or {})

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
