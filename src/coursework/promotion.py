"""promotion: moving a task's aliases by hand or by a run's decision, each move recorded in the audit trail.

Every move happens under the task's champion lock and in this order: the record is written `pending`,
the alias moves, the record is marked `done`. A crash therefore never leaves a move without its record;
at worst it leaves a pending record, which audit.settle reads against where the alias points now.
Refusals: an unknown, incomplete or gate-missed (without --force) version, or an empty reason, exit 2;
files that fail their sha256 check exit 4, as they do for `predict`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

from coursework import audit, locks, tracking, tracking_registry
from coursework.audit import Entry
from coursework.errors import CourseworkError, IncompleteVersion

CHAMPION = "champion"
def _trail(task: str) -> tuple[list[tuple[str, Entry]], list[tuple[str, Entry]]]:
    """The records as stored, and the same with pending ones settled against where their aliases point now."""
    records = audit.read(tracking_registry.model_tags(task))
    aliases = {entry.alias for _, entry in records if entry.state == "pending"}
    return records, audit.settle(records, {a: tracking_registry.alias_target(task, a) for a in aliases})


def history(task: str) -> list[Entry]:
    """Every alias move of a task, oldest first."""
    return audit.moves(_trail(task)[1])


def move_alias(task: str, alias: str, version: int, *, kind: str, reason: str, action: str) -> Entry | None:
    """Point `alias` at `version` with its audit record; the caller holds the champion lock. None: it was there."""
    before = tracking_registry.alias_target(task, alias)
    if before == version:
        return None
    records, settled = _trail(task)
    for (name, old), (_, now) in zip(records, settled):
        if old.state != now.state:  # a crash's pending record, made definite before the trail grows
            tracking_registry.set_model_tag(task, name, now.to_tag())
    entry = Entry(time=audit.now(), alias=alias, from_version=before, to_version=version, user=audit.current_user(),
                  reason=reason, kind=kind, action=action, state="pending")
    name = audit.next_key(records)
    tracking_registry.set_model_tag(task, name, entry.to_tag())
    # a failure here leaves the record pending: settle reads it from where the alias points, never from a guess
    tracking.set_alias(task, alias, version)
    entry = replace(entry, state="done")
    tracking_registry.set_model_tag(task, name, entry.to_tag())
    return entry


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise CourseworkError("--reason must say why (it is recorded in the audit trail); it was empty")
    return text


def check_version(task: str, version: int, *, force: bool) -> None:
    """Refuse a version that is missing, unfinished, gate-missed without force, or whose files changed."""
    tags = tracking_registry.version_tags(task, version)
    if tags is None:
        raise CourseworkError(f"{task} has no version {version}; registered versions: "
                              f"{tracking.registered_versions(task) or 'none'}")
    if not tracking_registry.is_complete(task, version):
        raise IncompleteVersion(f"{task} version {version} is incomplete: the run that registered it did not "
                                "finish, so its lineage may be partial; promote a version whose run finished")
    if tags.get("passed_gate") == "False" and not force:
        raise CourseworkError(f"{task} version {version} missed its gate ({tags.get('decision', 'no decision recorded')}); "
                              "pass --force as well as --reason to promote it anyway")
    tracking_registry.verify_version(task, version)  # ArtifactIntegrityError (exit 4), as predict would refuse it


def _locked(task: str, root: Path, say: Callable[[str], None] | None):
    return locks.champion_lock(task, tracking.current_uri(), fallback_dir=root / tracking.STORE_DIR, say=say)


def promote(task: str, version: int, *, reason: str | None, force: bool, root: Path,
            say: Callable[[str], None] | None = None) -> Entry | None:
    """Make `version` the champion by hand; None when it already is (nothing moved, nothing recorded)."""
    why = _reason(reason)
    with _locked(task, root, say):
        if tracking_registry.alias_target(task, CHAMPION) == version:
            return None
        check_version(task, version, force=force)
        entry = move_alias(task, CHAMPION, version, kind="manual", reason=why, action="promote")
    return entry


def rollback(task: str, *, reason: str | None, root: Path, say: Callable[[str], None] | None = None) -> Entry:
    """Move `champion` back to the champion before it, as the audit trail records them."""
    why = _reason(reason)
    with _locked(task, root, say):
        current = tracking_registry.alias_target(task, CHAMPION)
        target = audit.previous_champion(history(task), current)
        if target is None:
            where = f"version {current} is the first champion it records" if current else "there is no champion"
            raise CourseworkError(f"{task}: nothing to roll back to: {where}")
        check_version(task, target, force=True)  # it was champion once: its gate was passed or overridden then
        entry = move_alias(task, CHAMPION, target, kind="manual", reason=why, action="rollback")
    return entry
