"""scikit-learn's wine data: 13 chemical measurements of three cultivars."""

from pipelines._shared.gx import gxe

FEATURES = ("alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids",
            "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue", "od280/od315_of_diluted_wines",
            "proline")


def expectations() -> list:
    return [
        *[gxe.ExpectColumnToExist(column=c) for c in (*FEATURES, "cultivar")],  # schema: 13 inputs and the class
        *[gxe.ExpectColumnValuesToBeInTypeList(column=c, type_list=["float64", "int64"]) for c in FEATURES],  # numbers, not text
        *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in (*FEATURES, "cultivar")],  # the network takes no gaps
        *[gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=2000) for c in FEATURES],  # concentrations are positive
        gxe.ExpectColumnValuesToBeInSet(column="cultivar", value_set=[0, 1, 2]),  # the three cultivars only
        gxe.ExpectColumnDistinctValuesToEqualSet(column="cultivar", value_set=[0, 1, 2]),  # every class present for softmax
        gxe.ExpectTableRowCountToBeBetween(min_value=100, max_value=100_000),  # enough wines to stratify a test split
    ]
