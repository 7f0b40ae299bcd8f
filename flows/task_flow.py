"""One course task end to end: the data flow (ingest -> validate -> snapshot -> record), then the training
flow (features -> train -> evaluate -> register), both inside one MLflow run."""

from __future__ import annotations

import os
from typing import Any

from prefect import flow
from prefect.runtime import flow_run

from coursework import lineage, tracking, versioning
from coursework.download import redact_url
from flows import alerts
from flows.context import CODE_DIR, make_context
from flows.data_flow import data_flow
from flows.train_flow import train_flow


@flow(name="coursework-task", flow_run_name="{task}", log_prints=True,
      on_failure=[alerts.task_flow_failed], on_crashed=[alerts.task_flow_failed])  # run_failed / validation_failed
def task_flow(task: str, source: str | None = None, params_path: str = "params.yaml", root: str = ".",
              from_snapshot: bool = False, accept_new_data: bool = False,
              metrics_out: str | None = None, plots_out: str | None = None) -> dict[str, Any]:
    """Run one course task through the data and training flows; returns its metrics and the registry decision.

    from_snapshot runs the training flow only, on the validated data/<task>/ (what `dvc repro` runs);
    accept_new_data lets a default source whose bytes changed become a new data version.
    """
    ctx = make_context(task, params_path, root)
    tracking.configure(ctx.root)
    shown = redact_url(source) if source else ctx.spec.source_label  # no URL query string in tags
    tags = lineage.run_tags(task, source=shown, flow_run_id=str(flow_run.id), git_commit=tracking.git_commit(CODE_DIR),
                            params_hash=ctx.params.params_hash)
    with tracking.task_run(task, ctx.root, run_name=f"{task}-{flow_run.name or 'local'}", tags=tags,
                           description=ctx.spec.description) as run_id:
        if from_snapshot:  # the recorded snapshot, as data.dvc records it
            data_version, data_hash = versioning.current_version(ctx.root), None
            tracking.set_tags({"from_snapshot": "true"})
        else:
            data = data_flow(task, source=source, params_path=params_path, root=str(ctx.root),
                             accept_new_data=accept_new_data)
            data_version, data_hash = data["data_version"], data["data_hash"]
        tracking.set_tags({"data_version": data_version, **lineage.stage_tags(os.environ)})
        trained = train_flow(task, params_path=params_path, root=str(ctx.root), data_hash=data_hash,
                             data_version=data_version,
                             metrics_out=metrics_out, plots_out=plots_out)
        tracking.set_tags({"data_hash": trained.pop("data_hash")})
    return {"task": task, "run_id": run_id, "data_version": data_version, **trained}
