"""purchase_logistic: will the customer buy (1/0) from age and income, logistic regression (deck 000 실습 040)."""

import pandas as pd
from sklearn.linear_model import LogisticRegression

from coursework.spec import TaskSpec
from pipelines.purchase_logistic.data import islp_caravan
from pipelines.purchase_logistic.expectations import PURCHASE_ALIASES, PURCHASE_FEATURES, PURCHASE_IGNORED, purchase_expectations


def caravan_purchases() -> pd.DataFrame:
    """ISLP's Caravan as the exercise's three columns: average age code, average income code, bought 0/1."""
    caravan = islp_caravan()
    return pd.DataFrame({
        "age": caravan["MGEMLEEF"],  # neighbourhood average age, code 1 (20-30 y) .. 6 (70-80 y)
        "income": caravan["MINKGEM"],  # neighbourhood average income, code 0 .. 9
        "purchased": (caravan["Purchase"] == "Yes").astype("int64"),
    })


SPEC = TaskSpec(
    name="purchase_logistic",
    problem="classification",
    description="buys (1) or not (0) from age and income with lbfgs logistic regression, against the majority class",
    source_label="ISLP Caravan (MGEMLEEF age code, MINKGEM income code, Purchase)",
    load_default=caravan_purchases,
    target="purchased",
    numeric=PURCHASE_FEATURES,
    expectations=purchase_expectations,
    models={"logistic": LogisticRegression},
    primary_metric="roc_auc",
    anchor="deck: confusion matrix and F1 on Social_Network_Ads; report ROC-AUC and F1 beside the majority class",
    column_aliases=PURCHASE_ALIASES,
    ignored_columns=PURCHASE_IGNORED,
)
