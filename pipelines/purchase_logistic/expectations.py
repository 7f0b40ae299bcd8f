"""The purchase suite: the course's Social_Network_Ads.csv and the Caravan default must both look like this."""

from pipelines._shared.gx import gxe

PURCHASE_FEATURES = ("age", "income")
# the course's Social_Network_Ads.csv headers, mapped to the names used here; its row id and Gender are
# not inputs of the exercise, so they are dropped at ingest
PURCHASE_ALIASES = {"Age": "age", "EstimatedSalary": "income", "Purchased": "purchased"}
PURCHASE_IGNORED = ("User ID", "Gender")


def purchase_expectations() -> list:
    return [
        *[gxe.ExpectColumnToExist(column=c) for c in (*PURCHASE_FEATURES, "purchased")],  # schema: both inputs and the label
        *[gxe.ExpectColumnValuesToBeInTypeList(column=c, type_list=["int64", "float64"]) for c in PURCHASE_FEATURES],  # numbers, not text
        *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in (*PURCHASE_FEATURES, "purchased")],  # a gap would be imputed silently
        gxe.ExpectColumnValuesToBeBetween(column="age", min_value=0, max_value=120),  # years (course CSV) or a 1-6 age code (Caravan)
        gxe.ExpectColumnValuesToBeBetween(column="income", min_value=0),  # salary or income code: never negative
        gxe.ExpectColumnValuesToBeInTypeList(column="purchased", type_list=["int64"]),  # 0/1 integers, so classes_[1] is 'bought'
        gxe.ExpectColumnDistinctValuesToEqualSet(column="purchased", value_set=[0, 1]),  # both classes present: F1 and ROC-AUC need them
        gxe.ExpectColumnMeanToBeBetween(column="purchased", min_value=0.01, max_value=0.99),  # at least 1% buyers to learn from
        gxe.ExpectTableRowCountToBeBetween(min_value=100, max_value=1_000_000),  # enough rows for an 8:2 split with both classes in test
    ]
