"""The shape of params.yaml as pydantic models: every key known, every value typed, checked before data is read.

Structure, types and ranges are checked here; what depends on a task's code (its models' arguments,
its source options, its report metrics) is checked at the entry point, which knows the task's spec.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Mapping, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from coursework.errors import ConfigError

BASE_KEY = "base"
# top-level keys that are never tasks: the operations settings and the shared base block
RESERVED_KEYS = frozenset({BASE_KEY, "schedule", "notify", "retries"})
# features keys every task's generic preprocessing reads (coursework.features); others belong to one task
GENERIC_FEATURES = frozenset({"scaler", "threshold", "impute", "impute_strategy"})


class Strict(BaseModel):
    """No unknown key at any depth, no silent coercion of "0.4" to 0.4."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Split(Strict):
    test_size: Annotated[float, Field(gt=0, lt=1)] | None = None
    random_state: Annotated[int, Field(ge=0)] | None = None
    stratify: bool | None = None
    val_size: Annotated[float, Field(gt=0, lt=1)] | None = None
    shuffle: bool | None = None


class Base(Strict):
    seed: Annotated[int, Field(ge=0)] | None = None
    split: Split | None = None


class Features(Strict):
    scaler: Literal["none", "standard", "minmax", "l1", "l2", "binarize"] | None = None
    threshold: float | None = None  # binarize only
    impute: bool | None = None
    impute_strategy: Literal["mean", "median", "most_frequent"] | None = None
    fare_bins: Annotated[int, Field(ge=1)] | None = None  # titanic_ensemble's own step


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


class Reserved(BaseModel):
    """A placeholder for the operations settings: a mapping, whose keys their own code checks."""

    model_config = ConfigDict(extra="allow")


SCHEMAS: Mapping[str, TypeAdapter] = {
    BASE_KEY: TypeAdapter(Base),
    "schedule": TypeAdapter(Reserved),
    "notify": TypeAdapter(Reserved),
    "retries": TypeAdapter(Union[Annotated[int, Field(ge=0, strict=True)], Reserved]),
}
TASK = TypeAdapter(Task)


def _where(loc: tuple) -> str:
    # a tagged union adds the tag ('float') to the path; the user wrote no such key
    tags = ("int", "float", "categorical", "function-after[_ordered()]", "constrained-int", "literal['auto']", *PRUNER_TAGS)
    return ".".join(str(p) for p in loc if p not in tags)


def describe(exc: ValidationError, prefix: str) -> list[str]:
    """One line per problem: the key path in the file and what is wrong with it."""
    lines = []
    for error in exc.errors():
        where = _where((prefix, *error["loc"]))
        if error["type"] == "extra_forbidden":
            lines.append(f"{where}: unknown key")
        elif error["type"] == "missing":
            lines.append(f"{where}: required key is missing")
        else:
            lines.append(f"{where}: {error['msg']} (got {error.get('input')!r})")
    return lines


def schema_problems(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every top-level block of a params file against its schema: {block: [key path: reason, ...]}."""
    problems: dict[str, list[str]] = {}
    for key, block in data.items():
        if block is None and key in RESERVED_KEYS:
            continue
        try:
            SCHEMAS.get(key, TASK).validate_python(block)
        except ValidationError as exc:
            problems[str(key)] = describe(exc, str(key))
    return problems


def refuse(problems: list[str], path: str) -> None:
    """One ConfigError listing every problem of the file, if there is any."""
    if problems:
        raise ConfigError(f"{path} is not valid:\n" + "\n".join(f"  - {p}" for p in problems))


def check_file(data: Mapping[str, Any], *, path: str = "params.yaml") -> None:
    """The whole file against the schema; ConfigError names each key path at fault and why."""
    refuse([line for lines in schema_problems(data).values() for line in lines], path)
