"""AAPL daily adjusted closes as windows: lag_<w>..lag_1 (oldest first), the day's price, its date as yyyymmdd."""

from pipelines._shared.gx import gxe

from pipelines.stock_lstm.data import lag_columns


def expectations(window: int) -> list:
    lags = lag_columns(window)
    return [
        *[gxe.ExpectColumnToExist(column=c) for c in ("date", *lags, "price")],  # schema: the window, the target, the day
        *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in (*lags, "price")],  # no gaps in the series
        *[gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0.01, max_value=10_000, strict_min=True) for c in (*lags, "price")],  # prices are positive
        gxe.ExpectColumnValuesToBeUnique(column="date"),  # one row per trading day
        gxe.ExpectColumnValuesToBeIncreasing(column="date", strictly=True),  # time order: the test split is the last rows
        gxe.ExpectColumnValuesToBeBetween(column="date", min_value=19_800_101, max_value=21_001_231),  # yyyymmdd days
        gxe.ExpectTableRowCountToBeBetween(min_value=500, max_value=100_000),  # years of days, not a few weeks
    ]
