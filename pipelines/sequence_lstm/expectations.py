"""The deck's generated windows: five consecutive numbers and (next number) x 2."""

from pipelines._shared.gx import gxe

WINDOW = ("x0", "x1", "x2", "x3", "x4")


def expectations() -> list:
    return [
        *[gxe.ExpectColumnToExist(column=c) for c in (*WINDOW, "target")],  # schema: the window and its target
        *[gxe.ExpectColumnValuesToBeInTypeList(column=c, type_list=["int64", "float64"]) for c in (*WINDOW, "target")],  # numbers
        *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in (*WINDOW, "target")],  # complete windows only
        *[gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=99) for c in WINDOW],  # the deck's numbers 0..99
        gxe.ExpectColumnValuesToBeBetween(column="target", min_value=2, max_value=200),  # (1..100) x 2
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="x4", column_B="x0"),  # windows run forwards
        gxe.ExpectColumnValuesToBeUnique(column="x0"),  # each window once: no duplicate rows across the split
        gxe.ExpectTableRowCountToBeBetween(min_value=20, max_value=10_000),  # enough windows to hold some out
    ]
