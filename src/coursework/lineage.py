"""lineage: what a training run and its model version record about where they came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping


@dataclass(frozen=True)
class Lineage:
    """A version's origin: code, data and params, the Prefect flow runs that trained it, and the data version."""

    git_commit: str
    data_hash: str  # sha256 of the validated snapshot it trained on
    params_hash: str
    flow_run_id: str  # the training flow's run
    root_flow_run_id: str  # the run a user or a deployment started above it (task_flow's or all-tasks')
    data_version: str

    def tags(self) -> dict[str, str]:
        """The model version's lineage tags."""
        return {"git_commit": self.git_commit, "data_hash": self.data_hash, "params_hash": self.params_hash,
                "prefect_flow_run_id": self.flow_run_id, "data_version": self.data_version,
                "prefect_root_flow_run_id": self.root_flow_run_id}


def run_tags(task: str, *, source: str, flow_run_id: str, git_commit: str, params_hash: str) -> dict[str, str]:
    """The MLflow run's opening tags: which task, from which source, code and params, under which flow run."""
    return {"task": task, "source": source, "prefect_flow_run_id": flow_run_id, "git_commit": git_commit,
            "params_hash": params_hash}


def stage_tags(environ: Mapping[str, str]) -> dict[str, str]:
    """The DVC stage that runs this command, if any: `dvc repro` sets DVC_STAGE for it."""
    return {"dvc_stage": environ["DVC_STAGE"]} if environ.get("DVC_STAGE") else {}
