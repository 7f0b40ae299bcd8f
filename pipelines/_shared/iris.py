"""The iris suite, shared by the three iris tasks: a user's own iris.csv must look like this."""

from pipelines._shared.gx import gxe

IRIS_FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
IRIS_SPECIES = ["setosa", "versicolor", "virginica"]
# Kaggle's Iris.csv headers, mapped to the names used here
IRIS_ALIASES = {
    "SepalLengthCm": "sepal_length", "SepalWidthCm": "sepal_width",
    "PetalLengthCm": "petal_length", "PetalWidthCm": "petal_width", "Species": "species",
}
# ... and its labels ('Iris-setosa'); its row number 'Id' is no measurement, so it is dropped
IRIS_VALUE_ALIASES = {"species": {f"Iris-{name}": name for name in IRIS_SPECIES}}
IRIS_IGNORED = ("Id",)


def iris_expectations() -> list:
    return [
        *[gxe.ExpectColumnToExist(column=c) for c in (*IRIS_FEATURES, "species")],  # schema: every input and the label
        *[gxe.ExpectColumnValuesToBeInTypeList(column=c, type_list=["float64", "int64"]) for c in IRIS_FEATURES],  # numbers, not text
        *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in (*IRIS_FEATURES, "species")],  # KNN cannot take gaps
        *[gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=30) for c in IRIS_FEATURES],  # centimetres, positive
        gxe.ExpectColumnValuesToBeInSet(column="species", value_set=IRIS_SPECIES),  # the three known classes only
        gxe.ExpectTableRowCountToBeBetween(min_value=30, max_value=100_000),  # enough rows to split 60/40
    ]
