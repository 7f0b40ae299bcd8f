"""A temporary Prefect API server that cannot outlive the command that started it (or a running stack's).

Prefect starts its own ephemeral server (a uvicorn child) when no PREFECT_API_URL is set, and stops it
at exit; a `kill -9` skips that, and the child ran on for ever. Here the command starts that same server
itself, with the child asked to get SIGTERM when its parent dies (Linux PR_SET_PDEATHSIG), records it so
the next command's sweep can stop it where that signal could not be set, and points Prefect at it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import types
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Iterator

from coursework import recovery

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_DRAIN_S = 10.0


def _die_with(parent: int) -> None:
    """Runs in the server process before exec: SIGTERM when the parent dies, or now if it already has."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died between fork and prctl
        os.kill(os.getpid(), signal.SIGTERM)


def _tied_server_class():
    from prefect.server.api import server as prefect_server

    class TiedServer(prefect_server.SubprocessASGIServer):
        """Prefect's own subprocess server, started with a pre-exec hook; instances apart from Prefect's."""

        _instances: dict = {}

        def _run_uvicorn_command(self) -> subprocess.Popen:
            tied = types.SimpleNamespace(Popen=partial(subprocess.Popen, preexec_fn=partial(_die_with, os.getpid())))
            prefect_server.subprocess = tied  # Prefect's command line, env and port handling, unchanged
            try:
                return super()._run_uvicorn_command()
            finally:
                prefect_server.subprocess = subprocess

    return TiedServer


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
    server = _tied_server_class()()
    server.start()
    record = recovery.record_child(root, server.server_process.pid, "prefect server")
    try:
        with _api_url(server.api_url):
            try:
                yield server.api_url
            finally:
                _drain()
    finally:
        server.stop()
        recovery.forget_child(record)
