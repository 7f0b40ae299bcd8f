"""scikit-learn's diabetes data: ten mean-centred, scaled inputs and a progression score."""

from pipelines._shared.gx import gxe

FEATURES = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")


def expectations() -> list:
    return [
        *[gxe.ExpectColumnToExist(column=c) for c in (*FEATURES, "progression")],  # schema: ten inputs and the target
        *[gxe.ExpectColumnValuesToBeInTypeList(column=c, type_list=["float64"]) for c in FEATURES],  # scaled floats
        *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in (*FEATURES, "progression")],  # no gaps to impute silently
        *[gxe.ExpectColumnValuesToBeBetween(column=c, min_value=-0.5, max_value=0.5) for c in FEATURES],  # scaled to unit norm per column
        gxe.ExpectColumnValuesToBeBetween(column="progression", min_value=0, max_value=500),  # the score's documented range is 25-346
        gxe.ExpectTableRowCountToBeBetween(min_value=100, max_value=1_000_000),  # enough patients to hold out a test split
    ]
