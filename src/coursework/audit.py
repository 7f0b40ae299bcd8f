"""audit: the record of every alias move, kept as registered-model tags `audit.000001`, `audit.000002`, ….

One tag per move holds one JSON object, so the MLflow UI lists the trail on the model's page. A move is
written `pending` before the alias moves and `done` after it; a crash in between leaves a pending record
that the next reader settles against where the alias points now (moved: it happened; not: it did not).
No MLflow here: the registry calls are in tracking_registry.
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from typing import Iterable, Mapping

PREFIX = "audit."
FIELDS = ("time", "alias", "from_version", "to_version", "user", "reason", "kind")  # what `history --json` shows
# MLflow 3.17 validates registered-model tag values up to 100 000 characters, but its SQL store keeps them
# in VARCHAR(5000) (PostgreSQL enforces it): one record stays under that.
MAX_TAG_CHARS = 5000
MAX_REASON_CHARS = 2000


@dataclass(frozen=True)
class Entry:
    """One alias move: who moved which alias from which version to which, when, why, and how."""

    time: str  # UTC, ISO 8601
    alias: str
    from_version: int | None  # None: the alias pointed nowhere before
    to_version: int
    user: str
    reason: str
    kind: str  # "gate" (a run's decision) or "manual" (promote / rollback)
    action: str = "gate"  # "gate", "promote" or "rollback": rollback needs to tell its own moves apart
    state: str = "done"  # "pending" while the alias is being moved, "aborted" if it never moved

    def public(self) -> dict:
        """The fields `coursework history --json` prints, in their order."""
        return {name: getattr(self, name) for name in FIELDS}

    def to_tag(self) -> str:
        """The record as one tag value, its reason cut so the whole fits MAX_TAG_CHARS."""
        entry = replace(self, reason=_cut(self.reason, MAX_REASON_CHARS))
        text = json.dumps(asdict(entry), ensure_ascii=False, separators=(",", ":"))
        spare = len(text) - MAX_TAG_CHARS
        if spare > 0:  # a user name or alias that long is absurd, but the store must never refuse the record
            entry = replace(entry, reason=_cut(entry.reason, max(len(entry.reason) - spare - 1, 0)))
            text = json.dumps(asdict(entry), ensure_ascii=False, separators=(",", ":"))
        return text


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:max(limit - 1, 0)] + "…"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def current_user() -> str:
    """The tracking server's authenticated user when one is configured, else the OS user."""
    user = os.environ.get("MLFLOW_TRACKING_USERNAME")
    if user:
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        return f"uid {os.getuid()}"


def key(index: int) -> str:
    return f"{PREFIX}{index:06d}"


def read(tags: Mapping[str, str]) -> list[tuple[str, Entry]]:
    """Every record among a registered model's tags, oldest first (by its number, not its clock)."""
    found = []
    for name, value in tags.items():
        number = name[len(PREFIX):]
        if not (name.startswith(PREFIX) and number.isdigit()):
            continue
        try:
            found.append((int(number), name, Entry(**json.loads(value))))
        except (TypeError, ValueError):
            continue  # not a record of ours (someone's own `audit.` tag): not part of the trail
    return [(name, entry) for _, name, entry in sorted(found)]


def next_key(records: list[tuple[str, Entry]]) -> str:
    return key(int(records[-1][0][len(PREFIX):]) + 1 if records else 1)


def settle(records: list[tuple[str, Entry]], current: Mapping[str, int | None]) -> list[tuple[str, Entry]]:
    """Pending records resolved: done when it is its alias's last record and the alias points at it, else aborted."""
    last = {entry.alias: name for name, entry in records}
    settled = []
    for name, entry in records:
        if entry.state == "pending":
            moved = last[entry.alias] == name and current.get(entry.alias) == entry.to_version
            entry = replace(entry, state="done" if moved else "aborted")
        settled.append((name, entry))
    return settled


def moves(records: Iterable[tuple[str, Entry]]) -> list[Entry]:
    """The moves that happened, oldest first (settle pending records first)."""
    return [entry for _, entry in records if entry.state == "done"]


def previous_champion(entries: list[Entry], current: int | None) -> int | None:
    """The champion before the current one: promotions stack up, a rollback takes the top one off."""
    stack: list[int] = []
    for e in (e for e in entries if e.alias == "champion"):
        if e.from_version is not None and (not stack or stack[-1] != e.from_version):
            stack.append(e.from_version)  # moved outside coursework, or before the trail began
        if e.action == "rollback":
            stack.pop()
            if not stack or stack[-1] != e.to_version:
                stack.append(e.to_version)
        else:
            stack.append(e.to_version)
    if current is not None and (not stack or stack[-1] != current):
        stack.append(current)
    return stack[-2] if len(stack) >= 2 and current is not None else None
