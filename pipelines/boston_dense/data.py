"""boston_dense's data: Boston housing as mlxtend ships it."""

import pandas as pd

COLUMNS = ("crim", "zn", "indus", "chas", "nox", "rm", "age", "dis", "rad", "tax", "ptratio", "b", "lstat")


def mlxtend_boston() -> pd.DataFrame:
    """Boston housing (506 x 13 + MEDV) as shipped by mlxtend."""
    from mlxtend.data import boston_housing_data

    X, y = boston_housing_data()
    frame = pd.DataFrame(X, columns=list(COLUMNS))
    frame["medv"] = y
    return frame
