"""Alerts: the events of params.yaml's `notify:` block sent to Slack-compatible webhooks through Prefect.

Every message goes through Prefect's CustomWebhookNotificationBlock as a JSON document ({"text": ...}
plus structured fields): in-process for a failed run, a failed validation, a missed gate and a champion
change; from the Prefect server itself, by an automation, for a scheduled run that went Late. A failed
send is a warning, never a failed run.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import re
from pathlib import Path
from typing import Any, Mapping

from coursework import notify
from coursework.config import thaw
from coursework.download import redact_url
from coursework.errors import CourseworkError, ValidationFailed

LATE_AUTOMATION = "coursework: scheduled run late"  # every automation this module owns starts with this
SEND_TIMEOUT_S = 5.0
# Rendered by the Prefect server (Jinja) when a flow run of a coursework-* flow goes Late: the whole JSON body
LATE_BODY = (
    '{"text": {{ ("coursework: scheduled run " ~ flow_run.name ~ " of deployment " ~ deployment.name'
    ' ~ " did not start (expected " ~ flow_run.expected_start_time.isoformat() ~ ")") | tojson }},'
    ' "event": "scheduled_run_late", "task": {{ flow_run.parameters.get("task") | tojson }},'
    ' "deployment": {{ deployment.name | tojson }}, "flow_run": {{ flow_run.name | tojson }},'
    ' "flow_run_id": {{ flow_run.id | string | tojson }}, "state": {{ flow_run.state.name | tojson }},'
    ' "expected_start_time": {{ flow_run.expected_start_time.isoformat() | tojson }}}'
)


def _warn(message: str) -> None:
    """To the flow run's log when there is one (the Prefect UI shows it), else to the console."""
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError

    try:
        get_run_logger().warning(message)
    except MissingContextError:
        logging.getLogger("coursework.alerts").warning(message)


def _block(url: str):
    """A webhook block that POSTs its body as JSON; the URL is kept among the block's secrets."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    return CustomWebhookNotificationBlock(name="coursework", url="{{url}}", form_data="{{body}}", secrets={"url": url},
                                          headers={"Content-Type": "application/json"}, timeout=SEND_TIMEOUT_S)


def _why(exc: Exception, url: str) -> str:
    """What went wrong with a send, without the URL it went to."""
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return f"HTTP {status}" if status else f"{type(exc).__name__}: {str(exc).replace(url, '<webhook>')}"[:200]


def send(root: str | Path, params_path: str | Path, message: Mapping[str, Any]) -> int:
    """Send one alert to every webhook that wants its event; returns how many took it. Never raises."""
    try:
        targets = notify.targets(Path(root), params_path, message["event"], _warn)
    except (CourseworkError, OSError) as exc:
        _warn(f"alerts: cannot read the notify block, {message['event']} not sent: {exc}")
        return 0
    sent = 0
    for target in targets:
        try:
            _block(target.url).notify(json.dumps(message, default=str), subject=message["event"], _sync=True)
            sent += 1
        except Exception as exc:  # noqa: BLE001 - any failure to deliver is a warning, never a failed run
            _warn(f"alerts: {message['event']} to {target.label} not sent ({_why(exc, target.url)})")
    return sent


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user with no passwd entry
        return os.environ.get("USER") or str(os.getuid())


def champion_changed(root: str | Path, task: str, from_version: int | None, to_version: int, kind: str, reason: str,
                     user: str | None = None, *, params_path: str | Path | None = None, metric: str | None = None,
                     value: float | None = None) -> int:
    """Alert that `champion` moved (kind "gate": a run promoted it; "manual": promote or rollback)."""
    was = f"version {from_version}" if from_version is not None else "no champion"
    message = notify.payload("champion_changed", task, f"{task}: champion moved from {was} to version {to_version} "
                             f"({kind}, by {user or _user()}): {reason}", from_version=from_version,
                             to_version=to_version, kind=kind, reason=reason, user=user or _user(),
                             metric=metric, value=value)
    return send(root, params_path or Path(root) / "params.yaml", message)


def after_register(task: str, params_path: str, root: str | Path, decision: Mapping[str, Any],
                   metrics: Mapping[str, float], *, primary: str, gate: Mapping[str, Any]) -> None:
    """gate_missed for a version that missed its gate; champion_changed for one the gate promoted."""
    from prefect.runtime import flow_run

    version, value = decision["version"], metrics.get(primary)
    if not decision["passed_gate"]:
        reasons = list(decision["reasons"])
        text = (f"{task}: version {version} missed its gate ({primary} {value}); "
                f"kept as {decision['alias']}: {'; '.join(reasons)}")
        send(root, params_path, notify.payload(
            "gate_missed", task, text, version=version, alias=decision["alias"], metric=primary, value=value,
            baseline=metrics.get(f"baseline_{primary}"), gate=thaw(gate), reasons=reasons,
            flow_run_id=str(flow_run.id)))
    if decision["promoted"]:
        champion_changed(root, task, decision["previous_champion"], version, "gate", "; ".join(decision["reasons"]), params_path=params_path,
                         metric=primary, value=value)


def _failure(task: str, exc: BaseException, source: str | None) -> dict[str, Any]:
    """validation_failed for a batch its expectations refused, run_failed for any other stop."""
    if isinstance(exc, ValidationFailed):
        failed = [{"expectation": f["expectation"], "column": f.get("column")} for f in exc.failures]
        named = ", ".join(f"{f['expectation']}({f['column'] or ''})" for f in failed)
        return notify.payload("validation_failed", task, f"{task}: data failed validation: {named}; nothing registered",
                              failures=failed, quarantine=exc.quarantine, source=source, exit_code=exc.exit_code)
    code = exc.exit_code if isinstance(exc, CourseworkError) else 70
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    return notify.payload("run_failed", task, f"{task}: run failed ({type(exc).__name__}, exit {code}): {first}",
                          error_kind=type(exc).__name__, exit_code=code, message=first, source=source)


def task_flow_failed(flow, flow_run, state) -> None:
    """Prefect on_failure / on_crashed hook of the task flow: one alert naming why the run stopped."""
    params = flow_run.parameters or {}
    try:
        exc = state.result(raise_on_failure=False, _sync=True)
    except Exception as error:  # noqa: BLE001 - a result that cannot be read still gets its alert
        exc = error
    if not isinstance(exc, BaseException):
        exc = RuntimeError(state.message or state.name)
    source = redact_url(params["source"]) if params.get("source") else None
    message = _failure(params.get("task", "?"), exc, source)
    message.update(flow_run_id=str(flow_run.id), flow_run=flow_run.name, state=state.name)
    send(params.get("root", "."), params.get("params_path", "params.yaml"), message)


def _block_name(label: str) -> str:
    return "coursework-alerts-" + re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def ensure_automations(api_url: str, params_path: str | Path, root: str | Path = ".") -> list[str]:
    """On the Prefect server at api_url: one automation per webhook that wants scheduled_run_late, sending
    when a flow run of a coursework-* flow goes Late; old ones of this project replaced. Returns their names."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        for old in client.read_automations():
            if old.name.startswith(LATE_AUTOMATION):
                client.delete_automation(old.id)
        names = []
        for target in notify.targets(Path(root), params_path, "scheduled_run_late", _warn):
            block_id = _block(target.url).save(_block_name(target.label), overwrite=True)
            names.append(_late_automation(client, target.label, block_id))
    return names


def _late_automation(client, label: str, block_id) -> str:
    """A reactive automation: each prefect.flow-run.Late event of a coursework-* flow sends LATE_BODY."""
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    name = f"{LATE_AUTOMATION} -> {label}"
    trigger = EventTrigger(expect={"prefect.flow-run.Late"}, posture=Posture.Reactive, threshold=1,
                           match_related={"prefect.resource.role": "flow", "prefect.resource.name": "coursework-*"})
    client.create_automation(AutomationCore(name=name, trigger=trigger, actions=[
        SendNotification(block_document_id=block_id, subject="scheduled_run_late", body=LATE_BODY)]))
    return name
