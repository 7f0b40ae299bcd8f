"""fitted: the estimator protocol, what a fitted model says about how it trained and how it is logged.

The step library and the flows ask these questions of any model, never whether it is Keras: an
estimator trained epoch by epoch (coursework.deep) answers them; a scikit-learn one has no history and
the `sklearn` flavour.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

SKLEARN = "sklearn"


@runtime_checkable
class TrainingRecord(Protocol):
    """An estimator that keeps a record of its training and names how tracking logs it."""

    flavor: str  # "keras": tracking_keras logs it; anything else is logged as scikit-learn (skops)

    def training_history(self) -> dict[str, list[float]]:
        """Per-epoch metrics of the fit (loss, val_loss, ...), for learning curves."""

    def training_stats(self) -> dict[str, Any]:
        """Device, speed, peak memory, epochs run, best epoch."""


def _last(model: Any) -> Any:
    return model[-1] if hasattr(model, "steps") else model


def history(model: Any) -> dict[str, list[float]]:
    """The last step's per-epoch history, empty for an estimator without one."""
    last = _last(model)
    return last.training_history() if isinstance(last, TrainingRecord) else {}


def stats(model: Any) -> dict[str, Any]:
    """The last step's training stats, empty for an estimator without them."""
    last = _last(model)
    return last.training_stats() if isinstance(last, TrainingRecord) else {}


def flavor(model: Any) -> str:
    """How tracking logs the model: its last step's flavour, `sklearn` by default."""
    return getattr(_last(model), "flavor", SKLEARN)
