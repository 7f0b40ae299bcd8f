"""The breast-cancer suite: 30 positive cell-nucleus measurements and a benign/malignant diagnosis."""

from pipelines._shared.gx import gxe

MEASURES = ("radius", "texture", "perimeter", "area", "smoothness", "compactness",
            "concavity", "concave_points", "symmetry", "fractal_dimension")
# scikit-learn's names ("mean radius", "radius error", "worst radius") in snake_case
CANCER_FEATURES = tuple(f"{stat}_{m}" if stat != "error" else f"{m}_error"
                        for stat in ("mean", "error", "worst") for m in MEASURES)
DIAGNOSES = ["benign", "malignant"]


def cancer_expectations() -> list:
    return [
        gxe.ExpectTableColumnsToMatchSet(column_set=[*CANCER_FEATURES, "diagnosis"], exact_match=False),  # schema: all 30 inputs and the label
        *[gxe.ExpectColumnValuesToBeInTypeList(column=c, type_list=["float64"]) for c in CANCER_FEATURES],  # measurements, not text
        *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in (*CANCER_FEATURES, "diagnosis")],  # PCA cannot take gaps
        *[gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in CANCER_FEATURES],  # sizes, ratios and counts: never negative
        gxe.ExpectColumnValuesToBeBetween(column="mean_area", min_value=50, max_value=5000),  # the data set's own scale (143-2501): a rescaled 0-1 file fails here
        gxe.ExpectColumnDistinctValuesToEqualSet(column="diagnosis", value_set=DIAGNOSES),  # both classes, named, nothing else
        gxe.ExpectTableRowCountToBeBetween(min_value=100, max_value=100_000),  # enough rows for an 8:2 split and 5-fold CV
    ]
