"""deep.checkpoints: early stopping, the best epoch, and backups every few seconds to resume a killed run from."""

from __future__ import annotations

import hashlib
import json
import math
import time
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from coursework import fsutil

DEFAULT_CHECKPOINTS = Path(".coursework") / "checkpoints"  # under the project root the CLI runs in
BACKUP, STATE = "backup", "resume.json"  # Keras' BackupAndRestore folder; our record of it, written last
KERAS_WEIGHTS, KERAS_META = "latest.weights.h5", "training_metadata.json"  # what BackupAndRestore writes in BACKUP
BACKUP_EVERY_S = 30.0  # a kill loses at most this much training plus the epoch in progress
clock = time.monotonic  # the backup interval's clock (a test moves it by hand)


def resume_state(run_dir: Path) -> dict | None:
    """What a killed run left to resume from; None when nothing, or a backup the kill cut short."""
    try:
        state = json.loads((run_dir / STATE).read_text())
        meta = json.loads((run_dir / BACKUP / KERAS_META).read_text())
        consistent = (meta["epoch"] == state["epoch"] == len(state["history"])
                      and fsutil.file_sha256(run_dir / BACKUP / KERAS_WEIGHTS) == state["weights_sha256"]
                      and (state["best_file"] is None or (run_dir / state["best_file"]).is_file()))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return state if consistent else None


def _load_arrays(path: Path) -> list[np.ndarray]:
    with np.load(path) as stored:
        return [stored[f"arr_{i}"] for i in range(len(stored.files))]


def _write_backup(run_dir: Path, record, epoch: int) -> None:
    """After Keras' own backup: the best weights, then resume.json naming both, so a kill mid-way leaves no match."""
    if record.best_file is None and record.best_weights is not None:
        record.best_file = f"best-{record.best_epoch}.npz"
        with fsutil.atomic_path(run_dir / record.best_file) as tmp:
            np.savez(tmp, *record.best_weights)
    fsutil.atomic_write_text(run_dir / STATE, json.dumps({
        "epoch": epoch + 1, "history": record.rows, "best_val_loss": record.best, "best_epoch": record.best_epoch,
        "best_file": record.best_file, "weights_sha256": fsutil.file_sha256(run_dir / BACKUP / KERAS_WEIGHTS)}))
    for old in run_dir.glob("best-*.npz"):
        if old.name != record.best_file:
            old.unlink(missing_ok=True)
    record.backups += 1


def training_record(keras, run_dir: Path, every_s: float, state: dict | None):
    """Keras' BackupAndRestore, written at most every `every_s` seconds, that also keeps the history and best epoch.

    The best epoch's weights (lowest val_loss, ModelCheckpoint's rule) are held in memory and written
    with each backup, so a resumed run still ends on the best epoch of the whole run, killed part included.
    """

    class Record(keras.callbacks.BackupAndRestore):
        def __init__(self):
            super().__init__(str(run_dir / BACKUP), delete_checkpoint=True)
            state_ = state or {"history": [], "best_val_loss": math.inf, "best_epoch": None, "best_file": None}
            self.rows: list[dict] = list(state_["history"])
            self.resumed, self.backups = len(self.rows), 0
            self.best, self.best_epoch = state_["best_val_loss"], state_["best_epoch"]
            self.best_file = state_["best_file"]
            self.best_weights = _load_arrays(run_dir / self.best_file) if self.best_file else None
            self.last = clock()

        def on_train_begin(self, logs=None):
            super().on_train_begin(logs)  # loads the backed-up weights, optimizer state and epoch, if any
            self.last = clock()

        def on_epoch_end(self, epoch, logs=None):
            row = {k: float(v) for k, v in (logs or {}).items()}
            self.rows.append({"epoch": epoch, **row})
            if row.get("val_loss", math.nan) < self.best:  # strictly lower, as ModelCheckpoint(save_best_only)
                self.best, self.best_epoch, self.best_file = row["val_loss"], epoch, None
                self.best_weights = self.model.get_weights()
            if clock() - self.last >= every_s:
                super().on_epoch_end(epoch, logs)  # Keras writes the weights, the optimizer state and the epoch
                _write_backup(run_dir, self, epoch)
                self.last = clock()

    return Record()


def callbacks(keras, run_dir: Path, patience: int, every_s: float, state: dict | None) -> list:
    """The training record (backup, history, best epoch) first, then early stopping on val_loss."""
    return [
        training_record(keras, run_dir, every_s, state),
        # the record restores the best epoch of the whole run, so early stopping need not copy weights too
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=int(patience), restore_best_weights=False),
    ]


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
