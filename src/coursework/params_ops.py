"""The operations blocks of params.yaml as pydantic models: schedule, retries and notify."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError
from pydantic import Field, field_validator, model_validator

from coursework.params_tasks import Strict


class When(Strict):
    """When a deployment runs: a cron expression or an interval in seconds (neither: only when triggered)."""

    cron: str | None = None
    interval: Annotated[int, Field(gt=0)] | None = None

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            CronSim(value, datetime.now(timezone.utc))
        except CronSimError as exc:
            raise ValueError(f"not a cron expression ({exc})") from None
        return value

    @model_validator(mode="after")
    def _one(self):
        if self.cron is not None and self.interval is not None:
            raise ValueError("give cron or interval, not both")
        return self


class TaskWhen(When):
    @model_validator(mode="after")
    def _given(self):
        if self.cron is None and self.interval is None:
            raise ValueError("a task's schedule needs cron or interval")
        return self


class Schedule(When):
    """`schedule:`: the all-tasks deployment's cron/interval, one per task under `tasks`, in one named time zone."""

    timezone: str = "UTC"  # an IANA name; never the machine's local zone
    tasks: dict[str, TaskWhen] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
            raise ValueError("not an IANA time zone name (e.g. UTC, Europe/London)") from None
        return value


class Retries(Strict):
    """`retries:`: extra attempts after a transient failure (never after the user's or the data's fault)."""

    fetch: Annotated[int, Field(ge=0, le=10)] = 3  # a URL download: connection error, timeout, HTTP 5xx
    steps: Annotated[int, Field(ge=0, le=10)] = 2  # a flow step: an MLflow or Prefect API error, a locked database
    backoff_s: Annotated[float, Field(ge=0, le=300)] = 1.0  # the first wait; each next one doubles
    jitter: Annotated[float, Field(ge=0, lt=1)] = 0.5  # each wait scaled at random within +/- this share

    @model_validator(mode="before")
    @classmethod
    def _count(cls, value: Any) -> Any:
        # a bare count is shorthand for the same count of fetch and step retries
        if isinstance(value, int) and not isinstance(value, bool):
            return {"fetch": value, "steps": value}
        return value


# ------------------------------------------------------------------ notify: where alerts go (flows/alerts.py)

NOTIFY_EVENTS = ("run_failed", "validation_failed", "gate_missed", "champion_changed", "scheduled_run_late")
NotifyEvent = Literal["run_failed", "validation_failed", "gate_missed", "champion_changed", "scheduled_run_late"]
NOT_HERE = ("a webhook URL is a secret and never goes in params.yaml: put it in an environment variable "
            "named by `env:`, or in a git-ignored file named by `file:`")


class Webhook(Strict):
    """One Slack-compatible webhook: where its URL is kept (never the URL itself) and the events it gets."""

    env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    file: str | None = None  # relative to the project root
    events: Annotated[list[NotifyEvent], Field(min_length=1)]
    url: Any = None  # only so that a URL written here is refused with the reason, not as an unknown key

    @field_validator("url")
    @classmethod
    def _no_url(cls, value: Any) -> None:
        if value is not None:
            raise ValueError(NOT_HERE)

    @field_validator("env", "file", mode="before")
    @classmethod
    def _not_a_url(cls, value: Any) -> Any:
        if isinstance(value, str) and "://" in value:
            raise ValueError(NOT_HERE)
        return value

    @model_validator(mode="after")
    def _one_place(self):
        if (self.env is None) == (self.file is None):
            raise ValueError("name exactly one of `env:` (an environment variable) or `file:` (a git-ignored file)")
        return self


class Notify(Strict):
    webhooks: list[Webhook] = Field(default_factory=list)

