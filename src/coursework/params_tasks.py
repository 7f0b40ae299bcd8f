"""The task blocks of params.yaml as pydantic models: split, features, models, tune (space, pruner), gate.

Structure, types and ranges are checked here; what depends on a task's code (its models' arguments,
its source options, its report metrics) is checked at the entry point, which knows the task's spec.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

# features keys every task's generic preprocessing reads (coursework.features); others belong to one task
GENERIC_FEATURES = frozenset({"scaler", "threshold", "impute", "impute_strategy"})


class Strict(BaseModel):
    """No unknown key at any depth, no silent coercion of "0.4" to 0.4."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Split(Strict):
    test_size: Annotated[float, Field(gt=0, lt=1)] | None = None
    random_state: Annotated[int, Field(ge=0)] | None = None
    stratify: bool | None = None
    shuffle: bool | None = None


class Base(Strict):
    seed: Annotated[int, Field(ge=0)] | None = None
    split: Split | None = None


class Features(Strict):
    """The generic preprocessing's keys; any other key is a task's own, checked against its spec's feature_options."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    scaler: Literal["none", "standard", "minmax", "l1", "l2", "binarize"] | None = None
    threshold: float | None = None  # binarize only
    impute: bool | None = None
    impute_strategy: Literal["mean", "median", "most_frequent"] | None = None


class _Range(Strict):
    log: bool = False

    @model_validator(mode="after")
    def _ordered(self):
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError(f"a log range needs low > 0, not {self.low}")
        return self


class IntRange(_Range):
    type: Literal["int"]
    low: int
    high: int


class FloatRange(_Range):
    type: Literal["float"]
    low: float
    high: float


class Choices(Strict):
    type: Literal["categorical"]
    choices: Annotated[list[Any], Field(min_length=1)]


SpaceEntry = Annotated[Union[IntRange, FloatRange, Choices], Field(discriminator="type")]


class MedianPruner(Strict):
    type: Literal["median"]
    n_startup_trials: Annotated[int, Field(ge=0)] = 3
    n_warmup_steps: Annotated[int, Field(ge=0)] = 1


class HalvingPruner(Strict):
    type: Literal["successive_halving"]
    min_resource: Annotated[int, Field(ge=1)] | Literal["auto"] = "auto"
    reduction_factor: Annotated[int, Field(ge=2)] = 4
    min_early_stopping_rate: Annotated[int, Field(ge=0)] = 0


class HyperbandPruner(Strict):
    type: Literal["hyperband"]
    min_resource: Annotated[int, Field(ge=1)] = 1
    max_resource: Annotated[int, Field(ge=1)] | Literal["auto"] = "auto"
    reduction_factor: Annotated[int, Field(ge=2)] = 3


class NoPruner(Strict):
    type: Literal["none"]


PRUNER_TAGS = ("median", "successive_halving", "hyperband", "none")
Pruner = Annotated[Union[MedianPruner, HalvingPruner, HyperbandPruner, NoPruner], Field(discriminator="type")]


class Tune(Strict):
    n_trials: Annotated[int, Field(ge=0)] = 0
    timeout: Annotated[float, Field(gt=0)] | None = None  # seconds; with n_trials, whichever ends first
    sampler: Literal["tpe", "random"] = "tpe"  # seeded from the task's seed either way
    pruner: Pruner | None = None  # median (n_startup_trials 3, n_warmup_steps 1) when not given
    model: str | None = None
    cv_folds: Annotated[int, Field(ge=2)] = 3
    space: dict[str, SpaceEntry] = Field(default_factory=dict)


class Gate(Strict):
    min: dict[str, float] | None = None
    max: dict[str, float] | None = None


class Task(Strict):
    seed: Annotated[int, Field(ge=0)] | None = None
    source: dict[str, Any] = Field(default_factory=dict)  # the loader's keyword arguments, checked against it
    split: Split | None = None
    features: Features | None = None
    models: Annotated[dict[str, dict[str, Any] | None], Field(min_length=1)]
    tune: Tune | None = None
    gate: Gate

