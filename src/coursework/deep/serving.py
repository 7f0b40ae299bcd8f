"""deep.serving: what a registered Keras task serves, and its network saved apart from the rest of the Pipeline."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np

from coursework.deep.estimators import KerasEstimator
from coursework.deep.runtime import keras_module


def is_keras(model: Any) -> bool:
    """Whether a fitted Pipeline's last step is a Keras estimator (the step library asks `flavor` instead)."""
    last = model[-1] if hasattr(model, "steps") else model
    return isinstance(last, KerasEstimator)


def serve(model: Any, X) -> np.ndarray:
    """What the served model returns: labels or values; an autoencoder's per-row reconstruction error."""
    if hasattr(model[-1], "reconstruction_error"):
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
    """A detached Pipeline with its `.keras` network loaded back (the served model); no code runs from the file.

    A task's own layers come from its estimator's `custom_objects` (the task passed it in; src/ never
    imports pipelines/), registered before the file is read.
    """
    keras = keras_module()
    register = getattr(pipeline[-1], "custom_objects", None)
    if not hasattr(pipeline[-1], "custom_objects"):  # a version registered before estimators carried it
        register = getattr(inspect.getmodule(pipeline[-1].build), "custom_layers", None)  # its builder's module, loaded
    objects = register() if register is not None else None
    # safe_mode refuses Lambda layers' bytecode
    pipeline[-1].model_ = keras.saving.load_model(path, custom_objects=objects, compile=False, safe_mode=True)
    return pipeline
