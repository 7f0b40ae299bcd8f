"""purchase_logistic's data: ISLP's Caravan insurance customers."""

import pandas as pd

from coursework.sources import package_csv


def islp_caravan() -> pd.DataFrame:
    """ISLP's Caravan insurance data (5,822 customers, Purchase Yes/No)."""
    return package_csv("ISLP", "data/Caravan.csv", "pass --source with a purchase CSV")
