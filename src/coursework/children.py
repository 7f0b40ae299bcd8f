"""children: the servers a command starts: a port free for them, tied to the command's life, answering yet."""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import socket
import urllib.request

from coursework.errors import ConfigError

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
HOST = "127.0.0.1"


def check_port(port: int, host: str = HOST) -> None:
    """The port must be free before anything is started or downloaded; a taken one is the user's to change (exit 2)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # as uvicorn and Streamlit bind: a port a stopped server left in TIME_WAIT is free, a listening one is not
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(f"port {port} on {host} is taken by another program; choose another with --port") from None
            raise ConfigError(f"cannot bind {host}:{port}: {exc.strerror or exc}") from None


def die_with(parent: int, sig: int = signal.SIGTERM) -> None:
    """Runs in the child before exec (a Popen preexec_fn): `sig` when the parent dies, even by SIGKILL, or now if it
    already has."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, sig)
    if os.getppid() != parent:  # the parent died between fork and prctl
        os.kill(os.getpid(), sig)


def answers(url: str, timeout: float = 2.0) -> bool:
    """One GET of a health URL: True if it answered 200; refused, slow or any other status is False."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False
