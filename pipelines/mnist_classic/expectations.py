"""The MNIST suite: 784 raw 8-bit pixel columns px0..px783 and a digit label, checked at table level plus a probe.

GX's run time grows faster than linearly with the number of expectations (one range check per pixel:
784 take about a minute here, min and max per pixel over three), so the 784 pixels are covered by one
column-set expectation, and their values by a cross of probe columns through the image centre,
where every digit has ink.
"""

from pipelines._shared.gx import gxe

SIDE = 28
PIXELS = tuple(f"px{i}" for i in range(SIDE * SIDE))
DIGITS = list(range(10))
# the middle row and the middle column of the 28x28 image (55 distinct pixels)
PROBE = tuple(dict.fromkeys([f"px{SIDE * 14 + c}" for c in range(SIDE)] + [f"px{SIDE * r + 14}" for r in range(SIDE)]))
CENTRE = f"px{SIDE * 14 + 14}"


def mnist_expectations() -> list:
    return [
        gxe.ExpectTableColumnsToMatchSet(column_set=[*PIXELS, "label"], exact_match=False),  # schema: all 784 pixels and the label in one check
        gxe.ExpectTableRowCountToBeBetween(min_value=1_000, max_value=100_000),  # 5k subset or full 70k; fewer cannot fill 10 classes x 3 folds
        gxe.ExpectColumnValuesToBeInTypeList(column=CENTRE, type_list=["int64", "float64"]),  # pixels are numbers, not text
        *[gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=255) for c in PROBE],  # 8-bit range, not standardised or 16-bit
        gxe.ExpectColumnMaxToBeBetween(column=CENTRE, min_value=128, max_value=255),  # ink at the centre: a file rescaled to 0-1 fails here
        gxe.ExpectColumnValuesToNotBeNull(column="label"),  # every image has its digit
        gxe.ExpectColumnValuesToBeInTypeList(column="label", type_list=["int64"]),  # integer digits, not names or floats
        gxe.ExpectColumnDistinctValuesToEqualSet(column="label", value_set=DIGITS),  # all ten digits, nothing else
        gxe.ExpectColumnProportionOfUniqueValuesToBeBetween(column="label", max_value=0.01),  # a label column, not an id
    ]
