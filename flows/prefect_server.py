"""A temporary Prefect API server that cannot outlive the command that started it (or a running stack's).

Prefect starts its own ephemeral server (a uvicorn child) when no PREFECT_API_URL is set, and stops it
at exit; a `kill -9` skips that, and the child ran on for ever. Here the command starts that same server
(Prefect's uvicorn command line and environment) itself, with the child asked to get SIGTERM when its
parent dies (Linux PR_SET_PDEATHSIG), records it so the next command's sweep can stop it where that
signal could not be set, and points Prefect at it. `launch_early` starts it before the command imports
its flows, so the server boots while they import; this process never imports Prefect's server code.
"""

from __future__ import annotations

import atexit
import importlib.util
import logging
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Iterator

from coursework import children, recovery

_DRAIN_S = 10.0


# what Prefect's own temporary server sets (prefect.server.api.server.SubprocessASGIServer): no UI
_SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
_STOP_S = 5.0
_log = logging.getLogger("prefect")


@dataclass
class _Server:
    process: subprocess.Popen
    api_url: str
    record: Path


_early: dict[Path, _Server] = {}  # launched by launch_early, adopted by temporary_api


@atexit.register
def _stop_unadopted() -> None:
    """A command that failed before it ran a flow stops the server it launched early."""
    while _early:
        _stop(_early.popitem()[1])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _launch(root: Path) -> _Server:
    """Prefect's temporary-server command on a free port, tied to this process and recorded for the sweep."""
    from prefect.settings import get_current_settings

    port, package = _free_port(), Path(importlib.util.find_spec("prefect").origin).parent
    command = [sys.executable, "-m", "uvicorn", "--app-dir", str(package.parent), "--factory",
               "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "error", "--lifespan", "on"]
    env = {**os.environ, **_SERVER_ENV, **get_current_settings().to_environment_variables(exclude_unset=True)}
    process = subprocess.Popen(command, env=env, preexec_fn=partial(children.die_with, os.getpid()))
    _log.info("Starting temporary server on http://127.0.0.1:%d", port)
    return _Server(process, f"http://127.0.0.1:{port}/api", recovery.record_child(root, process.pid, "prefect server"))


def _healthy(server: _Server, timeout: float) -> bool:
    """Wait until the server answers /health; False if it exited first (a port taken meanwhile) or never did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.process.poll() is None:
        if children.answers(f"{server.api_url}/health"):
            return True
        time.sleep(0.1)
    return False


def _stop(server: _Server) -> None:
    """SIGTERM, then SIGKILL if it has not gone after a few seconds; the record goes with it."""
    _log.info("Stopping temporary server on %s", server.api_url.removesuffix("/api"))
    server.process.terminate()
    try:
        server.process.wait(timeout=_STOP_S)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    recovery.forget_child(server.record)


def _wanted(root: Path) -> bool:
    """A temporary server is needed: no API of the user's, no running stack, and Linux (for the death signal)."""
    from prefect.settings import PREFECT_API_URL

    from coursework import stackfile

    return not PREFECT_API_URL.value() and stackfile.read(root) is None and sys.platform.startswith("linux")


def launch_early(root: Path) -> None:
    """Start the temporary server now (if one will be needed), so it boots while the caller imports its flows."""
    root = Path(root).resolve()
    if root not in _early and _wanted(root):
        _early[root] = _launch(root)


def _started(root: Path) -> _Server:
    """The early server if there is one, else a new one; healthy, or RuntimeError (as Prefect's own raises)."""
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    server = _early.pop(root, None) or _launch(root)
    for _ in range(3):
        if _healthy(server, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()):
            return server
        exited = server.process.poll()
        _stop(server)
        if exited is None:
            break
        server = _launch(root)  # it exited: most likely its port was taken between choosing and binding
    raise RuntimeError(f"the temporary Prefect server did not become healthy (exit code {server.process.poll()})")


@contextmanager
def _api_url(url: str) -> Iterator[None]:
    """PREFECT_API_URL for this process and every thread Prefect starts, restored afterwards."""
    from prefect.context import refresh_global_settings_context

    before = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url
    refresh_global_settings_context()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = before
        refresh_global_settings_context()


def _drain() -> None:
    """Send the logs and events Prefect still queues before their server goes (as prefect_test_harness does)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=_DRAIN_S)
    EventsWorker.drain_all(timeout=_DRAIN_S)


@contextmanager
def temporary_api(root: Path) -> Iterator[str | None]:
    """Run the block against the user's API if they set one, else a running `coursework up` stack's, else a
    temporary local Prefect API tied to this process."""
    from prefect.settings import PREFECT_API_URL

    from coursework import stackfile

    stack = stackfile.read(root) if not PREFECT_API_URL.value() else None
    if stack is not None:  # attach: no server to start, and the runs show on the stack's UI
        with _api_url(stack.prefect_api_url):
            try:
                yield stack.prefect_api_url
            finally:
                _drain()
        return
    if PREFECT_API_URL.value() or not sys.platform.startswith("linux"):
        yield PREFECT_API_URL.value()  # the user's server, or Prefect's own ephemeral one off Linux
        return
    server = _started(Path(root).resolve())
    try:
        with _api_url(server.api_url):
            try:
                yield server.api_url
            finally:
                _drain()
    finally:
        _stop(server)
