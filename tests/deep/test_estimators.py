"""coursework.deep on tiny data (CPU, an epoch or two): post-processing, determinism, checkpoint resume, saving."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from coursework import deep

pytest.importorskip("keras")

TINY = dict(epochs=2, batch_size=16, patience=2, validation_split=0.25, verbose=0)
# Same params, same data, same seed on the CPU give the same predictions to within this (float32 arithmetic):
DETERMINISM_TOLERANCE = 1e-6


@pytest.fixture
def blobs():
    """Three well-separated classes with labels that are not 0..n-1, so the mapping back is tested."""
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0, 0, 0], [4, 4, 0, 0], [0, 0, 4, 4]], dtype=float)
    X = np.concatenate([c + rng.normal(size=(40, 4)) for c in centres])
    y = np.repeat(np.array([7, 3, 5]), 40)
    return X, y


def classifier(tmp_path, **extra):
    return deep.KerasClassifier(build=deep.dense_network, build_options={"hidden": [8]}, random_state=1,
                                checkpoint_dir=str(tmp_path / "ckpt"), **{**TINY, **extra})


@pytest.mark.parametrize("labels", [np.array([7, 3, 5]), np.array(["daisy", "rose", "tulip"])])
def test_softmax_argmax_returns_the_original_labels(tmp_path, blobs, labels):
    X, codes = blobs
    y = labels[np.searchsorted([3, 5, 7], codes)]
    model = classifier(tmp_path, epochs=12, learning_rate=0.05).fit(X, y)
    proba = model.predict_proba(X)
    assert set(model.predict(X)) <= set(labels)
    assert np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert (model.predict(X) == model.classes_[proba.argmax(axis=1)]).all()  # argmax, deck 001
    assert model.score(X, y) > 0.9


def test_sigmoid_threshold_at_one_half_returns_the_original_labels(tmp_path, blobs):
    X, codes = blobs
    y = np.where(codes == 7, "malware", "clean")
    model = classifier(tmp_path, epochs=8, learning_rate=0.05).fit(X, y)
    p = model.predict_proba(X)[:, 1]
    assert model.model_.output_shape[-1] == 1  # one sigmoid unit for two classes
    expected = np.where(p >= 0.5, model.classes_[1], model.classes_[0])  # np.where(p >= .5, 1, 0), deck 001
    assert (model.predict(X) == expected).all()
    assert set(model.predict(X)) <= {"malware", "clean"}


def test_regressor_predicts_in_target_units(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 3))
    y = 1000 + 50 * X[:, 0]
    model = deep.KerasRegressor(build=deep.dense_network, build_options={"hidden": [8]}, random_state=0,
                                checkpoint_dir=str(tmp_path), **{**TINY, "epochs": 15, "learning_rate": 0.05})
    predicted = model.fit(X, y).predict(X)
    assert predicted.shape == (120,)
    assert abs(predicted.mean() - 1000) < 30  # standardised inside, de-standardised on the way out


def test_same_params_twice_give_the_same_metrics(tmp_path, blobs):
    X, y = blobs
    first = classifier(tmp_path).fit(X, y)
    second = classifier(tmp_path).fit(X, y)
    assert np.allclose(first.predict_proba(X), second.predict_proba(X), atol=DETERMINISM_TOLERANCE, rtol=0)
    assert np.allclose(first.history_["val_loss"], second.history_["val_loss"], atol=DETERMINISM_TOLERANCE, rtol=0)


def test_history_and_training_record(tmp_path, blobs):
    X, y = blobs
    model = classifier(tmp_path, epochs=3, patience=10).fit(X, y)
    assert set(model.history_) >= {"loss", "val_loss", "accuracy", "val_accuracy"}
    assert len(model.history_["loss"]) == 3
    stats = model.fit_stats_
    assert stats["device"] == "CPU" and stats["gpu"] is False and stats["precision"] == "float32"
    assert stats["samples_per_sec"] > 0 and stats["peak_memory_mb"] > 0 and stats["epochs_run"] == 3
    assert 1 <= stats["best_epoch"] <= 3
    assert not any((tmp_path / "ckpt").iterdir())  # a finished run leaves no checkpoint behind


class Killed(Exception):
    """Stands for the process being killed mid-training."""


def test_a_killed_run_resumes_from_its_last_checkpoint(tmp_path, blobs):
    import keras

    X, y = blobs

    class KillAfter(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:  # the third epoch finished and was backed up, then the process dies
                raise Killed

    with pytest.raises(Killed):  # backup_every_s=0: a backup after every epoch
        classifier(tmp_path, epochs=5, patience=10, backup_every_s=0, callbacks=[KillAfter()]).fit(X, y)
    assert any((tmp_path / "ckpt").glob("*/backup"))  # the backup survived the kill
    resumed = classifier(tmp_path, epochs=5, patience=10).fit(X, y)
    assert resumed.fit_stats_["resumed_from_epoch"] == 3
    assert len(resumed.history_["loss"]) == 5  # the killed run's epochs and the resumed ones: one curve
    fresh = classifier(tmp_path, epochs=5, patience=10).fit(X, y)
    assert fresh.fit_stats_["resumed_from_epoch"] == 0  # a finished run is not resumed again


def test_a_long_backup_interval_writes_fewer_backups_and_a_kill_resumes_from_the_last(tmp_path, blobs, monkeypatch):
    import keras

    from coursework.deep import checkpoints

    X, y = blobs
    now = [0.0]
    monkeypatch.setattr(checkpoints, "clock", lambda: now[0])
    backed_up = []  # the epoch the backup on disk holds, seen after each epoch

    class TenSecondEpochsKilledAfterEight(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            now[0] += 10.0

        def on_epoch_end(self, epoch, logs=None):
            state = checkpoints.resume_state(next((tmp_path / "ckpt").glob("*")))
            backed_up.append(state["epoch"] if state else 0)
            if epoch == 7:
                raise Killed

    with pytest.raises(Killed):  # a backup at most every 25 s of 10 s epochs: after epochs 3 and 6 only
        classifier(tmp_path, epochs=12, patience=20, backup_every_s=25,
                    callbacks=[TenSecondEpochsKilledAfterEight()]).fit(X, y)
    assert backed_up == [0, 0, 3, 3, 3, 6, 6, 6]
    state = checkpoints.resume_state(next((tmp_path / "ckpt").glob("*")))
    assert len(state["history"]) == 6 and 0 <= state["best_epoch"] < 6  # the best epoch so far went with it
    resumed = classifier(tmp_path, epochs=12, patience=20, backup_every_s=0).fit(X, y)
    assert resumed.fit_stats_["resumed_from_epoch"] == 6  # epochs 7 and 8 were lost with the kill
    assert resumed.fit_stats_["backups_written"] == 6 and resumed.fit_stats_["epochs_run"] == 12
    assert [r for r in resumed.history_["val_loss"][:6]] == [r["val_loss"] for r in state["history"]]  # one curve
    assert resumed.fit_stats_["best_epoch"] == int(np.argmin(resumed.history_["val_loss"])) + 1


def test_a_backup_cut_short_by_the_kill_is_not_resumed(tmp_path, blobs):
    import keras

    X, y = blobs

    class KillAfterTwo(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise Killed

    with pytest.raises(Killed):
        classifier(tmp_path, epochs=4, patience=10, backup_every_s=0, callbacks=[KillAfterTwo()]).fit(X, y)
    weights = next((tmp_path / "ckpt").glob("*/backup/latest.weights.h5"))
    weights.write_bytes(weights.read_bytes()[:100])  # Keras' weights half-written when the kill came
    rerun = classifier(tmp_path, epochs=4, patience=10).fit(X, y)
    assert rerun.fit_stats_["resumed_from_epoch"] == 0 and len(rerun.history_["loss"]) == 4


def test_keras_file_round_trip_serves_the_same_labels(tmp_path, blobs):
    X, y = blobs
    frame = pd.DataFrame(X, columns=list("abcd"))
    pipeline = Pipeline([("scale", StandardScaler()), ("model", classifier(tmp_path))]).fit(frame, y)
    path, detached = deep.save_network(pipeline, tmp_path / "saved")
    assert path.suffix == ".keras" and detached[-1].model_ is None
    from coursework import artifacts

    (tmp_path / "saved" / "preprocessing.skops").write_bytes(artifacts.dump_skops(detached)[0])  # as logged
    loaded = deep.attach_network(artifacts.load_skops(tmp_path / "saved" / "preprocessing.skops"), path)
    assert (deep.serve(loaded, frame) == pipeline.predict(frame)).all()


def test_autoencoder_serves_a_reconstruction_error_per_row(tmp_path):
    rng = np.random.default_rng(2)
    X = rng.uniform(size=(64, 16))
    model = deep.KerasAutoencoder(build=deep.dense_network, build_options={"hidden": [4]}, random_state=0,
                                  checkpoint_dir=str(tmp_path), **TINY).fit(X)
    assert model.predict(X).shape == X.shape
    errors = deep.serve(Pipeline([("none", "passthrough"), ("model", model)]), X)
    assert errors.shape == (64,) and (errors >= 0).all()


def test_series_layers_work_in_returns_and_reload(tmp_path):
    from pipelines.stock_lstm.model import price_lstm

    network = price_lstm((5,), 1, None, units=4)
    window = np.array([[10.0, 10.5, 11.0, 10.8, 11.2]], dtype="float32")
    out = float(network.predict(window, verbose=0)[0, 0])
    assert 5 < out < 25  # a return of about zero around the last price, whatever the scale
    network.save(tmp_path / "m.keras")
    reloaded = deep.keras_module().saving.load_model(tmp_path / "m.keras", compile=False)
    assert float(reloaded.predict(window, verbose=0)[0, 0]) == pytest.approx(out, rel=1e-6)
