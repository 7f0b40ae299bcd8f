"""What defines a course task: the contract every package under pipelines/ fills in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping

import pandas as pd

if TYPE_CHECKING:
    from coursework.problems import Problem

ProblemType = Literal["classification", "regression", "clustering", "reconstruction"]


@dataclass(frozen=True)
class TaskSpec:
    """One course task: where its data comes from and what its model must do."""

    name: str
    problem: ProblemType
    description: str
    source_label: str
    load_default: Callable[..., pd.DataFrame]
    target: str | None
    numeric: tuple[str, ...]
    categorical: tuple[str, ...] = ()
    expectations: Callable[[], list] | None = None
    models: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    primary_metric: str = "accuracy"
    anchor: str = ""
    column_aliases: Mapping[str, str] = field(default_factory=dict)
    # a course file's spelling of values, mapped at ingest like column_aliases ('Iris-setosa' -> 'setosa')
    value_aliases: Mapping[str, Mapping[Any, Any]] = field(default_factory=dict)
    # columns a course file carries that the task never reads (a row id): dropped at ingest
    ignored_columns: tuple[str, ...] = ()
    feature_steps: Callable[[Mapping[str, Any]], list] | None = None
    label_column: str | None = None  # true labels for clustering tasks, never a feature
    raw_inputs: tuple[str, ...] = ()  # columns the model takes when feature_steps derive others
    # set where no data ships offline: what the user must provide (a --source file, a network download)
    external_data: str | None = None
    # task-specific extras: (model, X_test, y_test) -> (metrics, {file name: matplotlib figure})
    report: Callable[..., tuple[dict[str, float], dict[str, Any]]] | None = None
    report_metrics: tuple[str, ...] = ()  # metrics `report` adds that a gate may name (beside problems.METRIC_DIRECTION)
    # features keys in params.yaml that feature_steps read -> the type each value must have (a pydantic annotation)
    feature_options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def family(self) -> Problem:
        """The problem family's object: its metrics, baseline, figures, folds and metric directions."""
        from coursework.problems import problem_for  # on use: a spec is read where no metric is computed

        return problem_for(self.problem)

    @property
    def greater_is_better(self) -> bool:
        return self.family.greater_is_better(self.primary_metric)

    @property
    def input_columns(self) -> tuple[str, ...]:
        """The raw columns a caller passes to the model (and to `coursework predict`)."""
        return self.raw_inputs or self.numeric + self.categorical

    def split_xy(self, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series | None]:
        """Features and target of a validated frame, in the spec's column order."""
        X = df.loc[:, list(self.input_columns)]
        column = self.target or self.label_column
        y = df[column] if column else None
        return X, y
