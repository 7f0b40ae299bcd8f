"""pca_logistic: breast-cancer diagnosis with logistic regression before and after PCA (deck 000 실습 085, 003)."""

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from coursework.spec import TaskSpec
from pipelines.pca_logistic.data import cancer_frame
from pipelines.pca_logistic.expectations import CANCER_FEATURES, cancer_expectations


def pca_logistic(n_components: int = 2, C: float = 1.0, max_iter: int = 1000, random_state: int | None = None) -> Pipeline:
    """The 'after PCA' model: project the scaled features onto n_components axes, then logistic regression."""
    return Pipeline([
        ("pca", PCA(n_components=n_components, random_state=random_state)),
        ("logistic", LogisticRegression(C=C, max_iter=max_iter, random_state=random_state)),
    ])


def pca_report(model, X_test, y_test):
    """A 2-D PCA scatter of the test split by diagnosis, and how much variance those two axes keep."""
    import matplotlib.pyplot as plt

    Z = np.asarray(model[:-1].transform(X_test), dtype=float)  # the model's own scaling, fitted on the training split
    estimator = model[-1]
    if isinstance(estimator, Pipeline) and "pca" in estimator.named_steps:
        pca, fitted_on = estimator.named_steps["pca"], "training split"
    else:  # the chosen model has no PCA: fit one on the scaled test features, for the picture only
        pca, fitted_on = PCA(n_components=2).fit(Z), "test split, for display only"
    points = pca.transform(Z)[:, :2]
    kept = float(pca.explained_variance_ratio_[:2].sum())
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    for label in sorted(pd.unique(y_test)):
        mask = np.asarray(y_test) == label
        ax.scatter(points[mask, 0], points[mask, 1], s=14, alpha=0.7, label=str(label))
    ax.set(xlabel="PC 1", ylabel="PC 2", title=f"test split on 2 PCs, {kept:.0%} of the variance\n(PCA fitted on the {fitted_on})")
    ax.legend(title="diagnosis")
    fig.tight_layout()
    return {"pca_2d_explained_variance": kept}, {"pca_2d.png": fig}


SPEC = TaskSpec(
    name="pca_logistic",
    problem="classification",
    description="breast-cancer diagnosis: logistic regression on all 30 scaled features vs on 2 principal components",
    source_label="scikit-learn load_breast_cancer",
    load_default=cancer_frame,
    target="diagnosis",
    numeric=CANCER_FEATURES,
    expectations=cancer_expectations,
    models={"logistic": LogisticRegression, "pca_logistic": pca_logistic},
    primary_metric="accuracy",
    anchor="both accuracies side by side; logistic on scaled breast cancer ≈ 0.97",
    report=pca_report,
)
