"""Two numeric coordinates per point and the id of the blob that generated it."""

from pipelines._shared.gx import gxe


def expectations() -> list:
    return [
        gxe.ExpectColumnToExist(column="x1"),  # first coordinate
        gxe.ExpectColumnToExist(column="x2"),  # second coordinate
        gxe.ExpectColumnToExist(column="blob"),  # true blob id, needed for ARI
        gxe.ExpectColumnValuesToBeInTypeList(column="x1", type_list=["float64", "int64"]),  # numeric coordinates
        gxe.ExpectColumnValuesToBeInTypeList(column="x2", type_list=["float64", "int64"]),  # numeric coordinates
        gxe.ExpectColumnValuesToNotBeNull(column="x1"),  # k-means cannot place a point with a gap
        gxe.ExpectColumnValuesToNotBeNull(column="x2"),  # k-means cannot place a point with a gap
        gxe.ExpectColumnValuesToBeBetween(column="blob", min_value=0, max_value=50),  # small non-negative ids
        gxe.ExpectTableRowCountToBeBetween(min_value=50, max_value=1_000_000),  # enough points for silhouette on a test split
    ]
