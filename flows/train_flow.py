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

from coursework import champion, deep, evaluate, features, ingest, reports, tracking, train, tune, tuned, versioning
from coursework import tracking_serving
from coursework.config import thaw
from coursework.errors import DataVersionError
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
    parts, pipeline = features.task_split(ctx.spec, ctx.params, frame)  # the split `coursework tune` uses too
    X = parts[0]
    get_run_logger().info("features: %d train / %d test rows, %d input columns", len(parts[0]), len(parts[1]), X.shape[1])
    return parts, pipeline


@task(name="train", **STEP)
def train_step(ctx: RunContext, parts, pipeline, data_hash: str | None = None):
    log = get_run_logger()
    X_train, _, y_train, _ = parts
    spec, params = ctx.spec, ctx.params
    record = tuned.read_tuned(ctx.root, spec.name)
    stale = tuned.stale_note(record, spec.name, data_hash)
    if stale:  # still used: the user committed it; they are told how to search again
        log.warning(stale)
        tracking.set_tags({"tuned_on_other_data": "true"})
    choice = tune.choose_model(
        problem=spec.problem, primary=spec.primary_metric, greater_is_better=spec.greater_is_better,
        factories=spec.models, candidates=params.models, features=pipeline, X=X_train, y=y_train,
        tune=params.tune, seed=params.seed, tuned=record, shuffle=params.split.shuffle,
    )
    estimator = train.build_model(spec.models[choice["model"]], choice["params"], seed=params.seed)
    model = train.train_model(pipeline, estimator, X_train, y_train)
    if deep.is_keras(model):  # learning curves as step metrics, the device as tags
        tracking.log_keras_training(model[-1])
    tracking.log_params({"model": choice["model"], "hp": choice["params"], "split": thaw(params.raw["split"]),
                         "features": thaw(params.features), "seed": params.seed})
    tracking.log_metrics({f"cv_{name}_{spec.primary_metric}": v for name, v in choice["cv"].items()})
    if choice["study"]:
        tracking.log_dict(choice["study"], "tuning/study.json")
        log.info("tune: %s", choice["study"])
    log.info("train: %s with %s", choice["model"], choice["params"])
    return model, choice


@task(name="evaluate", **STEP)
def evaluate_step(ctx: RunContext, model, choice, parts, pipeline) -> evaluate.Evaluation:
    X_train, X_test, y_train, y_test = parts
    spec, params = ctx.spec, ctx.params
    result = evaluate.evaluate_model(spec.problem, model, X_train, y_train, X_test, y_test, task=spec.name, seed=params.seed)
    for name, hp in choice["candidates"].items():  # every candidate's test score (tuned params), side by side
        if len(choice["candidates"]) > 1:
            other = model if name == choice["model"] else train.train_model(
                pipeline, train.build_model(spec.models[name], hp, seed=params.seed), X_train, y_train)
            result.metrics[f"candidate_{name}_{spec.primary_metric}"] = evaluate.score_model(
                spec.problem, other, X_test, y_test)[spec.primary_metric]
    if spec.report:
        extra_metrics, extra_figures = spec.report(model, X_test, y_test)
        result.metrics.update(extra_metrics)
        result.figures.update(extra_figures)
    tracking.log_metrics(result.metrics)
    for name, figure in result.figures.items():
        tracking.log_figure(figure, name)
    for name, text in result.texts.items():
        tracking.log_text(text, name)
    shown = {k: round(v, 4) for k, v in result.metrics.items() if not k.startswith("candidate_")}
    get_run_logger().info("evaluate: %s", shown)
    return result


@task(name="register", **STEP)
def register_step(ctx: RunContext, model, parts, result: evaluate.Evaluation, snapshot: ingest.Snapshot,
                  data_version: str) -> dict[str, Any]:
    log = get_run_logger()
    log_model = tracking.log_keras_pipeline if deep.is_keras(model) else tracking.log_sklearn_model
    model_uri = log_model(model, parts[0])
    lineage = {
        "git_commit": tracking.git_commit(CODE_DIR), "data_hash": snapshot.content_hash,
        "params_hash": ctx.params.params_hash, "prefect_flow_run_id": str(flow_run.id), "data_version": data_version,
        # the run a user or a deployment started (task_flow's, or the all-tasks flow's) above this training run
        "prefect_root_flow_run_id": str(flow_run.root_flow_run_id),
    }
    tracking_serving.log_serving_metadata(ctx.spec, parts[0], parts[2])  # the web app's form reads it from the run
    version, decision, previous = champion.register_decided(ctx.spec, ctx.params, result.metrics, model, model_uri, parts, lineage,
                                                  root=ctx.root, say=log.info)  # under the task's champion lock
    tracking.set_tags({"model_version": version, "alias": decision.alias, "decision": "; ".join(decision.reasons)})
    verb = "promoted to champion" if decision.promote else "kept as challenger"
    log.info("register: version %d %s: %s", version, verb, "; ".join(decision.reasons))
    return {"version": version, "alias": decision.alias, "passed_gate": decision.passed_gate,
            "promoted": decision.promote, "reasons": list(decision.reasons), "previous_champion": previous}


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
    parts, pipeline = retried(features_step, ctx)(ctx, frame)
    model, choice = retried(train_step, ctx)(ctx, parts, pipeline, snapshot.content_hash)
    result = retried(evaluate_step, ctx)(ctx, model, choice, parts, pipeline)
    decision = register_step(ctx, model, parts, result, snapshot, data_version)  # not retried: a second try would register a second version
    alerts.after_register(task, params_path, ctx.root, decision, result.metrics, primary=ctx.spec.primary_metric,
                          gate=ctx.params.gate)  # gate_missed / champion_changed
    if metrics_out or plots_out:
        reports_step(result, decision, metrics_out, plots_out)
    return {"data_hash": snapshot.content_hash, "primary": ctx.spec.primary_metric, "metrics": result.metrics,
            "model": choice["model"], **decision}
