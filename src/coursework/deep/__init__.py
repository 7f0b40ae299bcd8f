"""deep: Keras models as scikit-learn estimators, so the six steps, the gate and the registry take them as they are.

A task's model is still `Pipeline([features, estimator])`; the estimator trains a Keras model built by
the task's backend-neutral builder. Keras is imported inside functions only: importing this package
(or anything that imports it) never imports TensorFlow, so the classic tasks never pay for it.

runtime: Keras, the device, seeds, peak memory.  inputs: shared feature steps for images.
checkpoints: best epoch, early stopping, timed backups to resume from.  estimators, kinds: the estimators.
networks: the `models` factory and the dense network.  serving: what a registered model serves.
Names stay importable from here (`deep.KerasClassifier`): registered models' skops files name them so.
"""

from coursework.deep.checkpoints import BACKUP, BACKUP_EVERY_S, DEFAULT_CHECKPOINTS, STATE
from coursework.deep.estimators import KerasEstimator
from coursework.deep.inputs import ImageFiles, PixelScale
from coursework.deep.kinds import KerasAutoencoder, KerasClassifier, KerasRegressor, KerasSeriesRegressor
from coursework.deep.networks import dense_network, keras_factory
from coursework.deep.runtime import device_info, keras_module, peak_memory_mb, prepare_backend, reset_peak_memory
from coursework.deep.serving import attach_network, is_keras, save_network, serve

__all__ = [
    "BACKUP", "BACKUP_EVERY_S", "DEFAULT_CHECKPOINTS", "STATE", "ImageFiles", "KerasAutoencoder", "KerasClassifier",
    "KerasEstimator", "KerasRegressor", "KerasSeriesRegressor", "PixelScale", "attach_network", "dense_network",
    "device_info", "is_keras", "keras_factory", "keras_module", "peak_memory_mb", "prepare_backend",
    "reset_peak_memory", "save_network", "serve",
]
