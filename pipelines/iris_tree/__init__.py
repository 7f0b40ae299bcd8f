"""iris_tree: species with a decision tree, max_depth 2 against unlimited (deck 000 실습 030)."""

import matplotlib.pyplot as plt
from sklearn.tree import DecisionTreeClassifier, plot_tree

from coursework.spec import TaskSpec
from pipelines._shared.data import iris_frame
from pipelines._shared.iris import IRIS_ALIASES, IRIS_FEATURES, IRIS_IGNORED, IRIS_VALUE_ALIASES, iris_expectations


def report(model, X_test, y_test):
    """The fitted tree, drawn as in the deck."""
    tree = model[-1]
    fig, ax = plt.subplots(figsize=(10, 6))
    plot_tree(tree, feature_names=list(model[:-1].get_feature_names_out()), class_names=list(tree.classes_),
              filled=True, ax=ax, fontsize=7)
    return {"tree_depth": float(tree.get_depth()), "tree_leaves": float(tree.get_n_leaves())}, {"tree.png": fig}


SPEC = TaskSpec(
    name="iris_tree",
    problem="classification",
    description="iris species with DecisionTree, depth 2 vs unlimited chosen by CV",
    source_label="scikit-learn load_iris",
    load_default=iris_frame,
    target="species",
    numeric=IRIS_FEATURES,
    expectations=iris_expectations,
    models={"depth_2": DecisionTreeClassifier, "unlimited": DecisionTreeClassifier},
    primary_metric="accuracy",
    anchor="≈ 0.93–0.97",
    column_aliases=IRIS_ALIASES,
    value_aliases=IRIS_VALUE_ALIASES,
    ignored_columns=IRIS_IGNORED,
    report=report,
)
