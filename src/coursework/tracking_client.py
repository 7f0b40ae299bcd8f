"""tracking_client: this process's one MlflowClient per tracking/registry URI pair, shared by the tracking family."""

from __future__ import annotations

from functools import lru_cache

import mlflow
from mlflow import MlflowClient


@lru_cache(maxsize=8)
def _client(tracking_uri: str, registry_uri: str) -> MlflowClient:
    return MlflowClient(tracking_uri, registry_uri)


def mlflow_client() -> MlflowClient:
    """This process's one MlflowClient for the configured URIs (made once per URI pair, not once per call)."""
    return _client(mlflow.get_tracking_uri(), mlflow.get_registry_uri())
