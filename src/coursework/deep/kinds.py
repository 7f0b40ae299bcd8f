"""deep.kinds: the four kinds of Keras estimator (classifier, regressor, series regressor, autoencoder)."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder

from coursework.deep.estimators import KerasEstimator


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
