"""The six-step flow of one course task: ingest -> validate -> features -> train -> evaluate -> register."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from coursework import champion, deep, evaluate, features, ingest, reports, tracking, train, tune, validate, versioning
from coursework.config import TaskParams, load_params, task_params, thaw
from coursework.errors import ValidationFailed
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


@task(name="ingest", **STEP)
def ingest_step(ctx: RunContext, source: str | None):
    frame, staged = ingest.stage_source(ctx.spec, source=source, options=ctx.params.source, work_dir=ctx.work_dir)
    get_run_logger().info("ingest: %d rows x %d columns from %s (sha256 %s)", len(frame), frame.shape[1],
                          staged.manifest["source"], staged.content_hash[:12])
    return frame, staged


def _run_suite(ctx: RunContext, frame, **tags: str) -> dict[str, Any]:
    """The task's expectations on a frame, with the result logged to the MLflow run."""
    report = validate.validate_frame(frame, task=ctx.spec.name, expectations=ctx.spec.expectations())
    tracking.log_dict(report, "validation/result.json")
    tracking.set_tags({"validation": "passed" if report["success"] else "failed", **tags})
    return report


@task(name="validate", **STEP)
def validate_step(ctx: RunContext, frame, staged: ingest.Snapshot) -> ingest.Snapshot:
    report = _run_suite(ctx, frame)
    snapshot = ingest.settle_batch(staged, report, data_dir=ctx.data_dir, rejected_root=ctx.work_dir / "rejected")
    get_run_logger().info("validate: %d expectations passed; snapshot %s", report["evaluated"], snapshot.folder)
    return snapshot


@task(name="features", **STEP)
def features_step(ctx: RunContext, frame):
    X, y = ctx.spec.split_xy(frame)
    split = ctx.params.split
    parts = features.split_data(X, y, test_size=split.test_size, random_state=split.random_state, stratify=split.stratify,
                                shuffle=split.shuffle)
    task_steps = ctx.spec.feature_steps(ctx.params.features) if ctx.spec.feature_steps else None
    pipeline = features.build_features(
        numeric=ctx.spec.numeric, categorical=ctx.spec.categorical, options=ctx.params.features, task_steps=task_steps,
    )
    get_run_logger().info("features: %d train / %d test rows, %d input columns", len(parts[0]), len(parts[1]), X.shape[1])
    return parts, pipeline


@task(name="train", **STEP)
def train_step(ctx: RunContext, parts, pipeline):
    log = get_run_logger()
    X_train, _, y_train, _ = parts
    spec, params = ctx.spec, ctx.params
    choice = tune.choose_model(
        problem=spec.problem, primary=spec.primary_metric, greater_is_better=spec.greater_is_better,
        factories=spec.models, candidates=params.models, features=pipeline, X=X_train, y=y_train,
        tune=params.tune, seed=params.seed,
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
def register_step(ctx: RunContext, model, parts, result: evaluate.Evaluation, snapshot: ingest.Snapshot) -> dict[str, Any]:
    log = get_run_logger()
    log_model = tracking.log_keras_pipeline if deep.is_keras(model) else tracking.log_sklearn_model
    model_uri = log_model(model, parts[0])
    lineage = {
        "git_commit": tracking.git_commit(CODE_DIR), "data_hash": snapshot.content_hash,
        "params_hash": ctx.params.params_hash, "prefect_flow_run_id": str(flow_run.id),
    }
    version, decision = champion.register_decided(ctx.spec, ctx.params, result.metrics, model, model_uri, parts, lineage,
                                                  root=ctx.root, say=log.info)  # under the task's champion lock
    tracking.set_tags({"model_version": version, "alias": decision.alias, "decision": "; ".join(decision.reasons)})
    verb = "promoted to champion" if decision.promote else "kept as challenger"
    log.info("register: version %d %s: %s", version, verb, "; ".join(decision.reasons))
    return {"version": version, "alias": decision.alias, "passed_gate": decision.passed_gate,
            "promoted": decision.promote, "reasons": list(decision.reasons)}


@task(name="snapshot", **STEP)
def snapshot_step(ctx: RunContext):
    """--from-snapshot (dvc repro): data/<task>/ as data.dvc records it, validated again, never rewritten."""
    frame, snapshot = ingest.load_snapshot(ctx.data_dir / ctx.spec.name)
    versioning.check_snapshot(ctx.root, ctx.spec.name, snapshot.data_path, snapshot.content_hash)
    report = _run_suite(ctx, frame, source=snapshot.manifest.get("source", ""), from_snapshot="true")
    if not report["success"]:
        raise ValidationFailed(ctx.spec.name, report["failures"])
    get_run_logger().info("snapshot: %s (sha256 %s), %d expectations passed", snapshot.folder,
                          snapshot.content_hash[:12], report["evaluated"])
    return frame, snapshot


@task(name="check-data-version", **STEP)
def check_version_step(ctx: RunContext, staged: ingest.Snapshot, accept: bool) -> None:
    """A batch whose bytes differ from what data.dvc records goes no further unless accepted."""
    versioning.admit_batch(ctx.root, staged, accept=accept, rejected_root=ctx.work_dir / "rejected")


@task(name="record-data-version", **STEP)
def record_version_step(ctx: RunContext, new_data: bool) -> str:
    """data.dvc updated after a promotion (`dvc add data`); the data version tags the run."""
    version = versioning.record_data_version(ctx.root) if new_data else versioning.current_version(ctx.root)
    tags = {"data_version": version}
    if os.environ.get("DVC_STAGE"):  # set by `dvc repro` for the command it runs
        tags["dvc_stage"] = os.environ["DVC_STAGE"]
    tracking.set_tags(tags)
    get_run_logger().info("data version: %s", version)
    return version


@task(name="write-reports", **STEP)
def reports_step(result: evaluate.Evaluation, decision: dict, metrics_out: str | None, plots_out: str | None) -> None:
    """The metrics JSON and plot PNGs a DVC stage declares as its outputs."""
    if metrics_out:
        reports.write_metrics(Path(metrics_out), result.metrics, passed_gate=decision["passed_gate"])
    if plots_out:
        reports.write_plots(Path(plots_out), result.figures)


def make_context(task: str, params_path: str | Path, root: str | Path) -> RunContext:
    root = Path(root).resolve()
    params = task_params(load_params(params_path), task)
    return RunContext(spec=get_spec(task), params=params, root=root)


@flow(name="coursework-task", flow_run_name="{task}", log_prints=True)
def task_flow(task: str, source: str | None = None, params_path: str = "params.yaml", root: str = ".",
              from_snapshot: bool = False, accept_new_data: bool = False,
              metrics_out: str | None = None, plots_out: str | None = None) -> dict[str, Any]:
    """Run one course task through the six steps; returns its metrics and the registry decision.

    from_snapshot reads the validated data/<task>/ instead of ingesting (what `dvc repro` runs);
    accept_new_data lets a default source whose bytes changed become a new data version.
    """
    ctx = make_context(task, params_path, root)
    tracking.configure(ctx.root)
    tags = {"task": task, "source": source or ctx.spec.source_label, "prefect_flow_run_id": str(flow_run.id),
            "git_commit": tracking.git_commit(CODE_DIR), "params_hash": ctx.params.params_hash}
    with tracking.task_run(task, ctx.root, run_name=f"{task}-{flow_run.name or 'local'}", tags=tags) as run_id:
        if from_snapshot:
            frame, snapshot = snapshot_step(ctx)
        else:
            frame, staged = ingest_step(ctx, source)
            check_version_step(ctx, staged, accept=accept_new_data or source is not None)
            snapshot = validate_step(ctx, frame, staged)
        tracking.set_tags({"data_hash": snapshot.content_hash})
        data_version = record_version_step(ctx, new_data=not from_snapshot)
        parts, pipeline = features_step(ctx, frame)
        model, choice = train_step(ctx, parts, pipeline)
        result = evaluate_step(ctx, model, choice, parts, pipeline)
        decision = register_step(ctx, model, parts, result, snapshot)
        tracking.tag_version(task, decision["version"], {"data_version": data_version})
        if metrics_out or plots_out:
            reports_step(result, decision, metrics_out, plots_out)
    return {"task": task, "run_id": run_id, "primary": ctx.spec.primary_metric, "metrics": result.metrics,
            "model": choice["model"], "data_version": data_version, **decision}
