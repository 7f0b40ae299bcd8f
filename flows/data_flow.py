"""The data flow of one task: ingest -> validate -> snapshot (promote into data/<task>/) -> record the data version.

Validation comes first, so a malformed batch is refused by its expectations (exit 3) or as
unreadable (exit 2), never for a data-version reason. Only a batch that passed is checked against
data.dvc, promoted and recorded, all under the data lock. Runs inside the MLflow run task_flow opens.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task

from coursework import datapush, ingest, tracking, validate, versioning
from flows.context import STEP, RunContext, make_context, retried


@task(name="ingest", **STEP)
def ingest_step(ctx: RunContext, source: str | None):
    frame, staged = ingest.stage_source(ctx.spec, source=source, options=ctx.params.source, work_dir=ctx.work_dir,
                                        retries=ctx.retries)
    get_run_logger().info("ingest: %d rows x %d columns from %s (sha256 %s)", len(frame), frame.shape[1],
                          staged.manifest["source"], staged.content_hash[:12])
    return frame, staged


@task(name="validate", **STEP)
def validate_step(ctx: RunContext, frame, staged: ingest.Snapshot) -> dict[str, Any]:
    """The task's expectations on the staged batch, logged to the MLflow run; a failure stops here (exit 3)."""
    report, reused = validate.validate_once(frame, root=ctx.root, task=ctx.spec.name, data_hash=staged.content_hash,
                                            expectations=ctx.spec.expectations)
    tracking.log_dict(report, "validation/result.json")
    tracking.set_tags({"validation": "passed" if report["success"] else "failed", "validation_reused": str(reused).lower()})
    ingest.settle_failed(staged, report, rejected_root=ctx.work_dir / "rejected")
    get_run_logger().info("validate: %d expectations passed%s", report["evaluated"],
                          " (reused: the same bytes passed the same suite before; GX not run)" if reused else "")
    return report


@task(name="snapshot", **STEP)
def snapshot_step(ctx: RunContext, staged: ingest.Snapshot, accept: bool) -> tuple[ingest.Snapshot, versioning.Recorded]:
    """Under the data lock: the batch checked against data.dvc, swapped into data/<task>/, its version recorded."""
    log = get_run_logger()
    snapshot, recorded = versioning.commit_batch(ctx.root, staged, accept=accept, say=log.warning)
    if recorded.warning:
        log.warning("%s", recorded.warning)
    log.info("snapshot: %s (sha256 %s); data version %s", snapshot.folder, snapshot.content_hash[:12], recorded.version)
    return snapshot, recorded


@task(name="push-data", **STEP)
def push_step(ctx: RunContext, recorded: versioning.Recorded) -> None:
    """A new data version goes beside the MLflow run (data.dvc) and to the default DVC remote; a failed push warns."""
    log = get_run_logger()
    tracking.log_text(recorded.text, versioning.DVC_FILE)
    pushed = datapush.push_data(ctx.root)
    sent = pushed.ok and pushed.remote is not None
    tracking.set_tags({"data_remote": pushed.remote or "-", "data_pushed": str(sent).lower()})
    (log.info if pushed.ok else log.warning)("push: %s", pushed.message)


@flow(name="coursework-data", flow_run_name="{task}-data", log_prints=True)
def data_flow(task: str, source: str | None = None, params_path: str = "params.yaml", root: str = ".",
              accept_new_data: bool = False) -> dict[str, Any]:
    """Ingest, validate, promote and record one task's batch; returns the snapshot's hash and data version.

    A `--source` file counts as intended new data; accept_new_data lets a default source whose bytes
    changed become a new data version.
    """
    ctx = make_context(task, params_path, root)
    frame, staged = retried(ingest_step, ctx)(ctx, source)
    retried(validate_step, ctx)(ctx, frame, staged)
    snapshot, recorded = retried(snapshot_step, ctx)(ctx, staged, accept=accept_new_data or source is not None)
    if recorded.new:
        push_step(ctx, recorded)
    return {"task": task, "data_hash": snapshot.content_hash, "data_version": recorded.version,
            "warning": recorded.warning, "source": snapshot.manifest["source"]}
