"""deep.checkpoints: the callbacks behind early stopping, the best-epoch checkpoint and resuming a killed run."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Mapping

import numpy as np

DEFAULT_CHECKPOINTS = Path(".coursework") / "checkpoints"  # under the project root the CLI runs in
BEST, HISTORY, BACKUP = "best.weights.h5", "history.json", "backup"  # weights only: a full .keras per improving epoch costs ~0.2 s


def epoch_log(keras, run_dir: Path, counter: dict):
    """A callback that appends each epoch's logs to history.json, so a killed run keeps its curves."""

    class EpochLog(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            path = run_dir / HISTORY
            rows = json.loads(path.read_text()) if path.is_file() else []
            rows = [r for r in rows if r["epoch"] < epoch] + [{"epoch": epoch, **{k: float(v) for k, v in (logs or {}).items()}}]
            path.write_text(json.dumps(rows))
            counter["epochs"] += 1

    return EpochLog()


def callbacks(keras, run_dir: Path, patience: int, counter: dict) -> tuple[list, int]:
    """Backup/restore (resume), best-epoch checkpoint on val_loss, early stopping, the epoch log."""
    history = read_history(run_dir)
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
        epoch_log(keras, run_dir, counter),
    ], resumed


def read_history(run_dir: Path) -> list[dict[str, float]]:
    """The epoch rows a run (and the killed run it resumes) logged so far."""
    path = run_dir / HISTORY
    return json.loads(path.read_text()) if path.is_file() else []


def fingerprint(params: Mapping[str, Any], X: np.ndarray, y: np.ndarray | None) -> str:
    """The same settings on the same data resume the same run; anything else starts a new one."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=repr).encode())
    for arr in (X, y):
        if arr is None:
            continue
        arr = np.ascontiguousarray(arr)
        digest.update(str(arr.shape).encode())
        digest.update(arr.tobytes() if arr.dtype != object else "\n".join(map(str, arr.ravel())).encode())
    return digest.hexdigest()[:16]
