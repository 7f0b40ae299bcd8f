"""stock_lstm: Apple's next-day price from the previous 20 with an LSTM (deck 000 실습 200).

bokeh_sampledata's AAPL daily prices (2000-03 .. 2013-03, split- and dividend-adjusted closes) replace
the deck's Yahoo download. The split keeps time order: the last 20% of days are the test split. The
report sets the LSTM's test RMSE next to the naive forecast (tomorrow = today) and says which wins.
"""

from functools import partial

import matplotlib.pyplot as plt
import numpy as np

from coursework import evaluate
from coursework.deep import KerasSeriesRegressor, keras_factory
from coursework.spec import TaskSpec
from pipelines.stock_lstm.data import aapl_windows, lag_columns
from pipelines.stock_lstm.expectations import expectations
from pipelines.stock_lstm.model import custom_layers, price_lstm

WINDOW = 20


def report(model, X_test, y_test):
    """LSTM vs the naive last-value forecast on the test days, and a plot of both against the truth."""
    predicted = model.predict(X_test)
    naive = X_test["lag_1"].to_numpy()
    mine, theirs = evaluate.regression_metrics(y_test, predicted), evaluate.regression_metrics(y_test, naive)
    winner = "LSTM" if mine["rmse"] < theirs["rmse"] else "naive last-value forecast"
    fig, ax = plt.subplots(figsize=(9, 4))
    days = np.arange(len(y_test))
    ax.plot(days, y_test.to_numpy(), "k-", lw=1, label="actual")
    ax.plot(days, predicted, "C0-", lw=1, label=f"LSTM (RMSE {mine['rmse']:.3f})")
    ax.plot(days, naive, "C1--", lw=1, label=f"naive last value (RMSE {theirs['rmse']:.3f})")
    ax.set(xlabel="test day", ylabel="adjusted close ($)", title=f"stock_lstm, test split: {winner} wins on RMSE")
    ax.legend()
    fig.tight_layout()
    return {"naive_rmse": theirs["rmse"], "naive_mae": theirs["mae"], "rmse_vs_naive": mine["rmse"] / theirs["rmse"],
            "lstm_beats_naive": float(mine["rmse"] < theirs["rmse"])}, {"test_forecast.png": fig}


SPEC = TaskSpec(
    name="stock_lstm",
    problem="regression",
    description="AAPL next-day adjusted close from 20 days with an LSTM, against the naive last-value forecast",
    source_label="bokeh_sampledata AAPL adj_close",
    load_default=partial(aapl_windows, window=WINDOW),
    target="price",
    numeric=lag_columns(WINDOW),
    expectations=lambda: expectations(WINDOW),
    models={"lstm": keras_factory(KerasSeriesRegressor, price_lstm, custom_objects=custom_layers)},
    primary_metric="rmse",
    anchor="RMSE next to the naive last-value forecast (naive_rmse)",
    report=report,
)
