"""retrying: how often a transient failure is tried again (params.yaml `retries:`), and which failures are transient.

Two mechanisms, one per kind: a URL download retries inside the fetch (tenacity, coursework.download);
a flow step that hit a service error (an MLflow or Prefect API error, a locked database) is run again
by Prefect's task retries (flows/context.py). A CourseworkError is the user's or the data's fault
(bad config, failed validation, a missed gate, a changed data version) and is never retried.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import requests
from tenacity import Retrying, RetryCallState, retry_if_exception, stop_after_attempt, wait_exponential

from coursework.errors import CourseworkError
from coursework.params_schema import Retries

MAX_WAIT_S = 60.0  # the longest wait between two download attempts
# MLflow's error codes for a server that may answer next time (mlflow.protos.databricks_pb2); not INTERNAL_ERROR,
# which MLflow gives any error raised without a code
TRANSIENT_MLFLOW_CODES = frozenset({"TEMPORARILY_UNAVAILABLE", "REQUEST_LIMIT_EXCEEDED", "SERVICE_UNDER_MAINTENANCE"})


@dataclass(frozen=True)
class RetryPolicy:
    """Extra attempts per kind, the first wait (doubling after), and the jitter share of each wait."""

    fetch: int = Retries().fetch
    steps: int = Retries().steps
    backoff_s: float = Retries().backoff_s
    jitter: float = Retries().jitter


def policy(params: Mapping[str, Any]) -> RetryPolicy:
    """The `retries:` block of a checked params file (defaults where it has none)."""
    block = Retries.model_validate(params.get("retries") or {})
    return RetryPolicy(fetch=block.fetch, steps=block.steps, backoff_s=block.backoff_s, jitter=block.jitter)


def _chain(exc: BaseException | None):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _status(exc: BaseException) -> int | None:
    return getattr(getattr(exc, "response", None), "status_code", None)


def _transient_one(exc: BaseException) -> bool:
    if isinstance(exc, (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError)):
        return True
    status = _status(exc)
    if status is not None and (status >= 500 or status == 429):  # requests', httpx' and Prefect's HTTP errors
        return True
    name, module = type(exc).__name__, type(exc).__module__
    if module.startswith("httpx") and name in {"ConnectError", "ReadTimeout", "ConnectTimeout", "RemoteProtocolError",
                                               "ReadError", "WriteError", "PoolTimeout"}:
        return True
    if isinstance(exc, sqlite3.OperationalError) or name == "OperationalError":  # sqlite3's or SQLAlchemy's
        return "locked" in str(exc) or "busy" in str(exc)
    return module.startswith("mlflow") and getattr(exc, "error_code", None) in TRANSIENT_MLFLOW_CODES


def transient(exc: BaseException) -> bool:
    """Worth another try: a service that did not answer, answered 5xx, or a database lock; never the user's fault."""
    chain = list(_chain(exc))
    if any(isinstance(e, CourseworkError) for e in chain):
        return False
    return any(_transient_one(e) for e in chain)


def _jittered(base: Callable[[RetryCallState], float], jitter: float) -> Callable[[RetryCallState], float]:
    return lambda state: base(state) * random.uniform(1 - jitter, 1 + jitter)


def fetch_retrying(rules: RetryPolicy, *, worth: Callable[[BaseException], bool],
                   sleep: Callable[[float], None], before_sleep: Callable[[RetryCallState], None]) -> Retrying:
    """tenacity's retrying for a download: rules.fetch extra attempts, exponential back-off with jitter."""
    wait = wait_exponential(multiplier=rules.backoff_s, max=MAX_WAIT_S)
    return Retrying(retry=retry_if_exception(worth), stop=stop_after_attempt(rules.fetch + 1),
                    wait=_jittered(wait, rules.jitter), sleep=sleep, before_sleep=before_sleep, reraise=True)
