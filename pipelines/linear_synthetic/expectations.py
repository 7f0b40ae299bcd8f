"""What the generated line data must look like."""

from pipelines._shared.gx import gxe


def expectations() -> list:
    return [
        gxe.ExpectColumnToExist(column="x"),  # the single input
        gxe.ExpectColumnToExist(column="y"),  # the target
        gxe.ExpectColumnValuesToBeInTypeList(column="x", type_list=["float64", "int64"]),  # numeric input
        gxe.ExpectColumnValuesToBeInTypeList(column="y", type_list=["float64", "int64"]),  # numeric target
        gxe.ExpectColumnValuesToNotBeNull(column="x"),  # LinearRegression cannot take gaps
        gxe.ExpectColumnValuesToNotBeNull(column="y"),  # an unlabeled point teaches nothing
        gxe.ExpectColumnValuesToBeBetween(column="x", min_value=-100, max_value=100),  # the deck draws x in [0, 10)
        gxe.ExpectTableRowCountToBeBetween(min_value=10, max_value=1_000_000),  # enough points for a test split
    ]
