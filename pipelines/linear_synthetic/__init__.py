"""linear_synthetic: recover y = 2x - 1 from 40 noisy points (deck 003's first regression)."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

from coursework.spec import TaskSpec
from pipelines.linear_synthetic.data import generate
from pipelines.linear_synthetic.expectations import expectations


def report(model, X_test, y_test):
    """The fitted line's coefficients, and the deck's scatter-plus-line plot."""
    fitted = model[-1]
    xfit = np.linspace(-1, 11, 50)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.scatter(X_test["x"], y_test, label="test points")
    ax.plot(xfit, model.predict(pd.DataFrame({"x": xfit})), "r-", label="fitted line")
    ax.set(xlabel="x", ylabel="y", title=f"y = {fitted.coef_[0]:.3f} x + {fitted.intercept_:.3f}")
    ax.legend()
    return {"coef": float(fitted.coef_[0]), "intercept": float(fitted.intercept_)}, {"fit_line.png": fig}


SPEC = TaskSpec(
    name="linear_synthetic",
    problem="regression",
    description="y = 2x - 1 + noise, 40 points from RandomState(35), LinearRegression",
    source_label="generated as in deck 003 (RandomState(35))",
    load_default=generate,
    target="y",
    numeric=("x",),
    expectations=expectations,
    models={"linear": LinearRegression},
    primary_metric="r2",
    anchor="seed: coef ≈ 2, intercept ≈ -1",
    report=report,
    report_metrics=("coef", "intercept"),
)
