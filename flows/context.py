"""What every step of the data and training flows shares: the run's context, read once at the start."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prefect.cache_policies import NO_CACHE

from coursework.config import TaskParams, load_params, task_params
from coursework.spec import TaskSpec
from pipelines import get_spec

CODE_DIR = Path(__file__).resolve().parent  # the checkout whose code trains the model
STEP = dict(cache_policy=NO_CACHE, retries=0)


@dataclass(frozen=True)
class RunContext:
    """Everything a step needs to know about the task it runs, read once at the flow's start."""

    spec: TaskSpec
    params: TaskParams
    root: Path

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def work_dir(self) -> Path:
        return self.root / ".coursework"


def make_context(task: str, params_path: str | Path, root: str | Path) -> RunContext:
    root = Path(root).resolve()
    params = task_params(load_params(params_path), task)
    return RunContext(spec=get_spec(task), params=params, root=root)
