"""sequence_lstm's data: the deck's counting sequence, cut into windows."""

import numpy as np
import pandas as pd


def counting_windows(stop: int = 100, window: int = 5) -> pd.DataFrame:
    """Deck 000 실습 165: windows of `window` consecutive numbers from 0..stop-1 -> (next number) x 2."""
    numbers = np.arange(stop)
    lags = np.lib.stride_tricks.sliding_window_view(numbers, window)
    frame = pd.DataFrame(lags, columns=[f"x{i}" for i in range(window)])
    frame["target"] = (lags[:, -1] + 1) * 2  # [5..9] -> 20, [35..39] -> 80
    return frame
