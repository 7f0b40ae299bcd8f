"""tracking_registry: the MLflow registry calls behind promotion, rollback and the audit trail."""

from __future__ import annotations

from typing import Any

from mlflow.exceptions import MlflowException

from coursework import tracking


def _not_found(exc: MlflowException) -> bool:
    return exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "INVALID_PARAMETER_VALUE")


def model_tags(task: str) -> dict[str, str]:
    """The registered model's tags (where the audit trail lives); empty when the task has no model yet."""
    try:
        return dict(tracking.mlflow_client().get_registered_model(task).tags)
    except MlflowException as exc:
        if _not_found(exc):
            return {}
        raise


def set_model_tag(task: str, key: str, value: str) -> None:
    tracking.mlflow_client().set_registered_model_tag(task, key, value)


def version_tags(task: str, version: int) -> dict[str, Any] | None:
    """A version's tags, or None when the task has no such version."""
    try:
        return dict(tracking.mlflow_client().get_model_version(task, str(version)).tags)
    except MlflowException as exc:
        if _not_found(exc):
            return None
        raise


def alias_target(task: str, alias: str) -> int | None:
    """The version an alias points at, or None."""
    try:
        return int(tracking.mlflow_client().get_model_version_by_alias(task, alias).version)
    except MlflowException as exc:
        if _not_found(exc):
            return None
        raise


def is_complete(task: str, version: int) -> bool:
    """The rule set_alias enforces for `champion` (the completion mark), asked before anything is written."""
    return tracking._complete(tracking.mlflow_client(), task, version)  # noqa: SLF001 - one rule, kept in tracking


def verify_version(task: str, version: int) -> None:
    """Download a version's files and check each against its registered sha256 (ArtifactIntegrityError if not)."""
    with tracking.verified_copy(task, version, what=f"{task} version {version}"):
        pass
