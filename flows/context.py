"""What every step of the data and training flows shares: the run's context, read once at the start."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import Task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from coursework import retrying
from coursework.config import TaskParams, load_params, task_params
from coursework.retrying import RetryPolicy
from coursework.spec import TaskSpec
from pipelines import get_spec

CODE_DIR = Path(__file__).resolve().parent  # the checkout whose code trains the model


def transient_failure(task: Task, task_run: Any, state: Any) -> bool:
    """Prefect's retry condition: only a transient failure (a service or a lock) earns another attempt."""
    try:
        exc = state.data if isinstance(state.data, BaseException) else state.result(raise_on_failure=False)
    except Exception:  # noqa: BLE001 - a result that cannot be read is no reason to retry
        return False
    return isinstance(exc, BaseException) and retrying.transient(exc)


# retries=0 here; retried() gives a run its counts from params.yaml
STEP = dict(cache_policy=NO_CACHE, retries=0, retry_condition_fn=transient_failure)


@dataclass(frozen=True)
class RunContext:
    """Everything a step needs to know about the task it runs, read once at the flow's start."""

    spec: TaskSpec
    params: TaskParams
    root: Path
    retries: RetryPolicy = RetryPolicy()

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def work_dir(self) -> Path:
        return self.root / ".coursework"


def make_context(task: str, params_path: str | Path, root: str | Path) -> RunContext:
    root = Path(root).resolve()
    loaded = load_params(params_path)
    return RunContext(spec=get_spec(task), params=task_params(loaded, task), root=root,
                      retries=retrying.policy(loaded))


def retried(step: Task, ctx: RunContext) -> Task:
    """The step with this run's `retries.steps`: exponential back-off with jitter, transient failures only."""
    rules = ctx.retries
    return step.with_options(retries=rules.steps, retry_delay_seconds=exponential_backoff(rules.backoff_s),
                             retry_jitter_factor=rules.jitter or None)
