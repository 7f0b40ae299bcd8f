"""sequence_lstm: five consecutive numbers -> the next number x 2, e.g. [5..9] -> 20 (deck 000 실습 165).

Held-out windows must come back within +-1 (within_1 = 1.0 in the gate).
"""

from coursework import evaluate
from coursework.deep import KerasRegressor, keras_factory
from coursework.spec import TaskSpec
from pipelines.sequence_lstm.data import counting_windows
from pipelines.sequence_lstm.expectations import WINDOW, expectations
from pipelines.sequence_lstm.model import window_lstm


def report(model, X_test, y_test):
    """The share of held-out windows predicted within +-1, and the worst miss."""
    predicted = model.predict(X_test)
    return {"within_1": evaluate.within_tolerance(y_test, predicted, 1.0),
            "max_abs_error": float(abs(predicted - y_test.to_numpy()).max())}, {}


SPEC = TaskSpec(
    name="sequence_lstm",
    problem="regression",
    description="LSTM on windows of 5 consecutive numbers -> (next number) x 2",
    source_label="generated as in deck 000 실습 165",
    load_default=counting_windows,
    target="target",
    numeric=WINDOW,
    expectations=expectations,
    models={"lstm": keras_factory(KerasRegressor, window_lstm)},
    primary_metric="mae",
    anchor="near-exact on held-out windows (within ±1)",
    report=report,
    report_metrics=("within_1", "max_abs_error"),
)
