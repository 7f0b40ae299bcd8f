"""mlxtend's Boston housing: 13 numeric inputs and the median value MEDV (in $1000s)."""

from pipelines._shared.gx import gxe

FEATURES = ("crim", "zn", "indus", "chas", "nox", "rm", "age", "dis", "rad", "tax", "ptratio", "b", "lstat")


def expectations() -> list:
    return [
        *[gxe.ExpectColumnToExist(column=c) for c in (*FEATURES, "medv")],  # schema: 13 inputs and the target
        *[gxe.ExpectColumnValuesToBeInTypeList(column=c, type_list=["float64", "int64"]) for c in (*FEATURES, "medv")],  # numbers, not text
        *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in (*FEATURES, "medv")],  # the network takes no gaps
        *[gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=100) for c in ("crim", "zn", "indus", "age", "lstat")],  # rates and percentages
        gxe.ExpectColumnValuesToBeInSet(column="chas", value_set=[0, 1]),  # Charles River dummy
        gxe.ExpectColumnValuesToBeBetween(column="rm", min_value=1, max_value=15),  # rooms per dwelling
        gxe.ExpectColumnValuesToBeBetween(column="medv", min_value=0, max_value=50),  # the survey capped values at 50
        gxe.ExpectTableRowCountToBeBetween(min_value=100, max_value=100_000),  # enough tracts to hold out a test split
    ]
