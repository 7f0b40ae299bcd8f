"""boston_dense: house prices (MEDV) with a Dense network, Adam and MSE (deck 000 실습 100, deck 001).

A LinearRegression is the second candidate on the same split: cross-validation on the training split
picks between them, and both test MAEs are logged (candidate_dense_mae, candidate_linear_mae).
"""

from sklearn.linear_model import LinearRegression

from coursework.deep import KerasRegressor, dense_network, keras_factory
from coursework.spec import TaskSpec
from pipelines.boston_dense.data import mlxtend_boston
from pipelines.boston_dense.expectations import FEATURES, expectations

SPEC = TaskSpec(
    name="boston_dense",
    problem="regression",
    description="Boston house prices with a Dense network (Adam, mse), next to a linear regression",
    source_label="mlxtend boston_housing_data",
    load_default=mlxtend_boston,
    target="medv",
    numeric=FEATURES,
    expectations=expectations,
    models={"dense": keras_factory(KerasRegressor, dense_network), "linear": LinearRegression},
    primary_metric="mae",
    anchor="test MAE ≈ 2.55 (k-fold dense net)",
)
