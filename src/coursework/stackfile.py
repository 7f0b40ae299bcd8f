"""stackfile: where a running `coursework up` stack is recorded, so other commands can find and attach to it.

`coursework up` writes `.coursework/stack.json` once every service is healthy; `coursework down` removes
it. A reader gets the state only while the Prefect server it names is still alive, so a stack killed
without `down` reads as no stack (the next `up` or the sweep clears the file).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from coursework.fsutil import atomic_write_text, process_alive

STATE = Path(".coursework") / "stack.json"


@dataclass(frozen=True)
class Service:
    """One process of the stack: what it is, where it answers, and the process that owns it."""

    name: str  # "prefect-server", "mlflow-server", "worker-1", ...
    pid: int
    started: float  # the process's start time (fsutil.process_start), so a recycled pid is not taken for it
    url: str | None = None  # where it answers; secrets redacted before it is written here
    log: str | None = None  # its log file under .coursework/logs/


@dataclass(frozen=True)
class StackState:
    """What `coursework up` started: Prefect's API, the MLflow server, the work pool and every process."""

    prefect_api_url: str  # http://127.0.0.1:PORT/api
    mlflow_tracking_uri: str  # http://127.0.0.1:PORT
    work_pool: str
    database: str  # "sqlite" or a redacted postgresql:// URL
    services: tuple[Service, ...] = field(default_factory=tuple)

    def service(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)

    def alive(self) -> bool:
        server = self.service("prefect-server")
        return server is not None and process_alive(server.pid, server.started)


def path(root: Path) -> Path:
    return Path(root) / STATE


def write(root: Path, state: StackState) -> Path:
    """Record the stack atomically."""
    return atomic_write_text(path(root), json.dumps(asdict(state), indent=2) + "\n")


def load(root: Path) -> StackState | None:
    """The recorded stack, alive or not; None when there is no record."""
    target = path(root)
    if not target.exists():
        return None
    raw: dict[str, Any] = json.loads(target.read_text())
    services = tuple(Service(**s) for s in raw.pop("services", []))
    return StackState(**raw, services=services)


def read(root: Path) -> StackState | None:
    """The running stack to attach to, or None when none is up (no record, or its Prefect server is gone)."""
    state = load(root)
    return state if state is not None and state.alive() else None
