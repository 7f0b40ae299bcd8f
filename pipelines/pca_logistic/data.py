"""pca_logistic's data: scikit-learn's breast cancer set."""

import pandas as pd

from coursework.sources import sklearn_frame


def cancer_frame() -> pd.DataFrame:
    """scikit-learn's breast cancer with snake_case columns and the diagnosis by name (malignant is the positive class)."""
    frame = sklearn_frame("breast_cancer", target="diagnosis", target_names=True)
    return frame.rename(columns=lambda c: c.replace(" ", "_"))
