"""The training flow of one task: features -> train -> evaluate -> register, on the validated snapshot.

It reads only data/<task>/ (checked against its manifest, and against data.dvc where it trains on the
recorded version) and never runs DVC: the data flow, or `dvc pull` / `coursework data rebuild`, put
the snapshot there. Runs inside the MLflow run task_flow opens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.runtime import flow_run

from coursework import champion, evaluate, features, ingest, reports, tracking, train, tune, tuned, versioning
from coursework import tracking_serving
from coursework.errors import DataVersionError
from coursework.features import Split
from coursework.lineage import Lineage
from coursework.train import Choice
from flows import alerts
from flows.context import CODE_DIR, STEP, RunContext, make_context, retried


@task(name="load-snapshot", **STEP)
def load_step(ctx: RunContext, data_hash: str | None):
    """data/<task>/ as validated: the batch this run's data flow promoted, or (None) what data.dvc records."""
    frame, snapshot = ingest.load_snapshot(ctx.data_dir / ctx.spec.name)
    if data_hash is None:
        versioning.check_snapshot(ctx.root, ctx.spec.name, snapshot.data_path, snapshot.content_hash)
    elif ingest.content_hash(snapshot.data_path) != data_hash or snapshot.content_hash != data_hash:
        raise DataVersionError(f"{ctx.spec.name}: data/{ctx.spec.name} was replaced by another run after this run "
                               f"validated it (sha256 {data_hash[:12]}); nothing was trained, run again", tasks=[ctx.spec.name])
    get_run_logger().info("snapshot: %s (sha256 %s)", snapshot.folder, snapshot.content_hash[:12])
    return frame, snapshot


@task(name="features", **STEP)
def features_step(ctx: RunContext, frame):
    split, pipeline = features.task_split(ctx.spec, ctx.params, frame)  # the split `coursework tune` uses too
    get_run_logger().info("features: %d train / %d test rows, %d input columns", len(split.X_train), len(split.X_test),
                          split.X_train.shape[1])
    return split, pipeline


@task(name="train", **STEP)
def train_step(ctx: RunContext, split: Split, pipeline, data_hash: str | None = None):
    log = get_run_logger()
    spec, params = ctx.spec, ctx.params
    record = tuned.read_tuned(ctx.root, spec.name)
    stale = tuned.stale_note(record, spec.name, data_hash)
    if stale:  # still used: the user committed it; they are told how to search again
        log.warning(stale)
        tracking.set_tags({"tuned_on_other_data": "true"})
    choice = tune.choose_model(
        problem=spec.family, primary=spec.primary_metric, factories=spec.models, candidates=params.models,
        features=pipeline, X=split.X_train, y=split.y_train, tune=params.tune, seed=params.seed, tuned=record,
        shuffle=params.split.shuffle,
    )
    model = train.train_choice(spec.models, choice, pipeline, split.X_train, split.y_train, seed=params.seed)
    tracking.log_training(model)  # learning curves and device, for an estimator that kept a record
    tracking.log_params(choice.run_params(params))
    tracking.log_metrics({f"cv_{name}_{spec.primary_metric}": v for name, v in choice.cv.items()})
    if choice.study:
        tracking.log_dict(choice.study, "tuning/study.json")
        log.info("tune: %s", choice.study)
    log.info("train: %s with %s", choice.model, choice.params)
    return model, choice


@task(name="evaluate", **STEP)
def evaluate_step(ctx: RunContext, model, choice: Choice, split: Split, pipeline) -> evaluate.Evaluation:
    spec, params = ctx.spec, ctx.params
    candidates = train.fit_candidates(spec.models, choice, model, pipeline, split.X_train, split.y_train, seed=params.seed)
    result = evaluate.evaluate_model(spec.family, model, split, task=spec.name, seed=params.seed,
                                     primary=spec.primary_metric, candidates=candidates, report=spec.report)
    tracking.log_metrics(result.metrics)
    for name, figure in result.figures.items():
        tracking.log_figure(figure, name)
    for name, text in result.texts.items():
        tracking.log_text(text, name)
    shown = {k: round(v, 4) for k, v in result.metrics.items() if not k.startswith("candidate_")}
    get_run_logger().info("evaluate: %s", shown)
    return result


@task(name="register", **STEP)
def register_step(ctx: RunContext, model, split: Split, result: evaluate.Evaluation, snapshot: ingest.Snapshot,
                  data_version: str) -> dict[str, Any]:
    log = get_run_logger()
    model_uri = tracking.log_model(model, split.X_train)
    lineage = Lineage(git_commit=tracking.git_commit(CODE_DIR), data_hash=snapshot.content_hash,
                      params_hash=ctx.params.params_hash, flow_run_id=str(flow_run.id),
                      root_flow_run_id=str(flow_run.root_flow_run_id), data_version=data_version)
    tracking_serving.log_serving_metadata(ctx.spec, split.X_train, split.y_train)  # the web app's form reads it from the run
    version, decision, previous = champion.register_decided(ctx.spec, ctx.params, result.metrics, model, model_uri, split,
                                                            lineage, root=ctx.root, say=log.info)  # under the task's champion lock
    tracking.set_tags({"model_version": version, "alias": decision.alias, "decision": "; ".join(decision.reasons)})
    verb = "promoted to champion" if decision.promote else "kept as challenger"
    log.info("register: version %d %s: %s", version, verb, "; ".join(decision.reasons))
    return champion.outcome(version, decision, previous)


@task(name="write-reports", **STEP)
def reports_step(result: evaluate.Evaluation, decision: dict, metrics_out: str | None, plots_out: str | None) -> None:
    """The metrics JSON and plot PNGs a DVC stage declares as its outputs."""
    if plots_out:  # first: it is the one that can still refuse (a user's file under a plot's name)
        reports.write_plots(Path(plots_out), result.figures)
    if metrics_out:
        reports.write_metrics(Path(metrics_out), result.metrics, passed_gate=decision["passed_gate"])


@flow(name="coursework-train", flow_run_name="{task}-train", log_prints=True)
def train_flow(task: str, params_path: str = "params.yaml", root: str = ".", data_hash: str | None = None,
               data_version: str = "untracked",
               metrics_out: str | None = None, plots_out: str | None = None) -> dict[str, Any]:
    """Train, evaluate and register one task on its snapshot; returns its metrics and the registry decision.

    data_hash is the sha256 the data flow just validated and promoted; None trains on the snapshot
    data.dvc records (`--from-snapshot`, what `dvc repro` runs).
    """
    ctx = make_context(task, params_path, root)
    frame, snapshot = retried(load_step, ctx)(ctx, data_hash)
    split, pipeline = retried(features_step, ctx)(ctx, frame)
    model, choice = retried(train_step, ctx)(ctx, split, pipeline, snapshot.content_hash)
    result = retried(evaluate_step, ctx)(ctx, model, choice, split, pipeline)
    decision = register_step(ctx, model, split, result, snapshot, data_version)  # not retried: a second try would register a second version
    alerts.after_register(task, params_path, ctx.root, decision, result.metrics, primary=ctx.spec.primary_metric,
                          gate=ctx.params.gate)  # gate_missed / champion_changed
    if metrics_out or plots_out:
        reports_step(result, decision, metrics_out, plots_out)
    return {"data_hash": snapshot.content_hash, "primary": ctx.spec.primary_metric, "metrics": result.metrics,
            "model": choice.model, **decision}
