"""linear_synthetic's data: the deck's noisy line, drawn in the deck's order."""

import numpy as np
import pandas as pd


def generate(n_samples: int = 40, seed: int = 35) -> pd.DataFrame:
    """The deck's data, drawn in the deck's order: x = 10 * rand(n), y = 2x - 1 + randn(n)."""
    rng = np.random.RandomState(seed)
    x = 10 * rng.rand(n_samples)
    y = 2 * x - 1 + rng.randn(n_samples)
    return pd.DataFrame({"x": x, "y": y})
