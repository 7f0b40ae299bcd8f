"""stock_lstm's data: bokeh_sampledata's AAPL daily prices as windows of lagged prices."""

import numpy as np
import pandas as pd

from coursework.errors import SourceError


def lag_columns(window: int) -> tuple[str, ...]:
    """lag_<window>..lag_1: the window's prices, oldest first."""
    return tuple(f"lag_{window - i}" for i in range(window))


def aapl_windows(window: int = 20, column: str = "adj_close") -> pd.DataFrame:
    """bokeh_sampledata's AAPL daily prices as windows: lag_<window>..lag_1 (oldest first) -> the day's price (date yyyymmdd)."""
    try:
        from bokeh_sampledata.stocks import AAPL
    except ImportError:
        raise SourceError("package 'bokeh_sampledata' is not installed; run the README's set-up command") from None
    daily = pd.DataFrame(AAPL)
    prices = daily[column].to_numpy(dtype=float)
    lags = np.lib.stride_tricks.sliding_window_view(prices[:-1], window)
    frame = pd.DataFrame(lags, columns=list(lag_columns(window)))
    days = pd.to_datetime(daily["date"]).iloc[window:]
    frame.insert(0, "date", (days.dt.year * 10_000 + days.dt.month * 100 + days.dt.day).to_numpy())  # yyyymmdd: sorts, survives CSV
    frame["price"] = prices[window:]
    return frame
