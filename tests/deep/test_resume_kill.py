"""A real process killed with SIGKILL mid-training: the rerun resumes from the last backup it wrote on disk."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

pytest.importorskip("keras")

SETTINGS = dict(build_options={"hidden": [8]}, random_state=1, epochs=40, batch_size=16, patience=50,
                validation_split=0.25, verbose=0, backup_every_s=0)
CHILD = textwrap.dedent("""
    import sys, time
    import keras, numpy as np
    from coursework import deep
    folder, settings = sys.argv[1], eval(sys.argv[2])

    class Stall(keras.callbacks.Callback):  # after the fourth epoch's backup: says so and waits to be killed
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 3:
                open(folder + "/stalled", "w").close()
                time.sleep(120)

    data = np.load(folder + "/data.npz")
    deep.KerasClassifier(build=deep.dense_network, checkpoint_dir=folder + "/ckpt", callbacks=[Stall()],
                         **settings).fit(data["X"], data["y"])
""")


def _backed_up_epoch(folder) -> int:
    from coursework.deep import checkpoints

    runs = [p for p in (folder / "ckpt").glob("*") if p.is_dir()]  # beside it: the claim's .lock file
    state = checkpoints.resume_state(runs[0]) if runs else None
    return state["epoch"] if state else 0


def test_a_sigkilled_training_resumes_from_the_last_backup_on_disk(tmp_path):
    from coursework import deep

    rng = np.random.default_rng(0)
    X = np.concatenate([c + rng.normal(size=(40, 2)) for c in ([0, 0], [4, 4])])
    y = np.repeat([0, 1], 40)
    np.savez(tmp_path / "data.npz", X=X, y=y)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path), repr(SETTINGS)],
                             env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "stalled").exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert child.poll() is None, "the child finished or died before it was killed"
        os.kill(child.pid, signal.SIGKILL)  # no clean-up runs: what is on disk is all a rerun gets
    finally:
        child.kill()
        child.wait()
    on_disk = _backed_up_epoch(tmp_path)
    assert on_disk == 4  # backup_every_s=0: the fourth epoch's backup was written before the kill
    resumed = deep.KerasClassifier(build=deep.dense_network, checkpoint_dir=str(tmp_path / "ckpt"), **SETTINGS).fit(X, y)
    assert resumed.fit_stats_["resumed_from_epoch"] == on_disk
    assert len(resumed.history_["loss"]) == SETTINGS["epochs"]  # the killed run's epochs and the rest: one curve
    assert not any((tmp_path / "ckpt").iterdir())  # finished: nothing left to resume
