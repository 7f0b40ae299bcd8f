"""notify: params.yaml's `notify:` block resolved into webhook targets, and the alert payloads they are sent.

No Prefect here: flows/alerts.py sends what this module builds. A webhook URL is a secret, read from
the environment variable (or git-ignored file) the block names, and is never put in a payload or log.
"""

from __future__ import annotations

import os
import socket
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

from coursework.config import read_params
from coursework.params_schema import SCHEMAS, Notify, describe
from coursework.urls import redact_urls_in

_warned: set[str] = set()  # one warning per missing secret per process, not one per alert


@dataclass(frozen=True)
class Target:
    """A webhook to send to: a label that logs may show, the URL (secret) and the events it wants."""

    label: str  # "env COURSEWORK_WEBHOOK_URL" or "file .coursework/webhook.url"
    url: str
    events: frozenset[str]


def read_block(params_path: str | Path) -> Notify:
    """The `notify:` block of a params file, checked; an empty block when there is none."""
    from pydantic import ValidationError

    from coursework.errors import ConfigError

    block = read_params(params_path).get("notify") or {}
    try:
        return SCHEMAS["notify"].validate_python(block)
    except ValidationError as exc:
        raise ConfigError(f"{params_path}: " + "; ".join(describe(exc, "notify"))) from None


def _warn_once(key: str, message: str, warn: Callable[[str], None]) -> None:
    if key not in _warned:
        _warned.add(key)
        warn(message)


def _git_ignored(root: Path, path: Path) -> bool | None:
    """Whether git ignores path (None outside a git checkout, or without git)."""
    try:
        done = subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=root, capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return {0: True, 1: False}.get(done.returncode)


def _secret(root: Path, hook, warn: Callable[[str], None]) -> tuple[str, str | None]:
    """(label, URL) of one webhook; the URL is None, with one warning, when it is not set."""
    if hook.env:
        label = f"env {hook.env}"
        url = os.environ.get(hook.env, "").strip() or None
        if url is None:
            _warn_once(label, f"notify: environment variable {hook.env} is not set; its alerts are not sent", warn)
        return label, url
    label, path = f"file {hook.file}", root / hook.file
    try:
        url = path.read_text().strip() or None
    except OSError:
        url = None
    if url is None:
        _warn_once(label, f"notify: {hook.file} is missing or empty; its alerts are not sent", warn)
    elif _git_ignored(root, path) is False:
        _warn_once(f"{label} tracked", f"notify: {hook.file} holds a secret but git does not ignore it", warn)
    return label, url


def targets(root: Path, params_path: str | Path, event: str, warn: Callable[[str], None]) -> list[Target]:
    """The webhooks that want this event and whose URL is set."""
    found = []
    for hook in read_block(params_path).webhooks:
        if event in hook.events:
            label, url = _secret(Path(root), hook, warn)
            if url:
                found.append(Target(label, url, frozenset(hook.events)))
    return found


def scrub(text: str) -> str:
    """Any URL in a message with its query string and password removed (urls.redact_urls_in)."""
    return redact_urls_in(text)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def payload(event: str, task: str | None, text: str, **fields: Any) -> dict[str, Any]:
    """A Slack-compatible message ({"text": ...}) with the event's structured fields beside it."""
    body = {"text": f"coursework: {text}", "event": event, "task": task,
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "host": socket.gethostname(), **fields}
    return _clean(body)
