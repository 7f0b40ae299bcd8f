"""warm: hand `coursework run` / `coursework data validate` to the stack's warm runner, which forks it after the imports.

Standard library only: this runs before the CLI imports anything, so that a command the runner takes costs
this process almost nothing. The runner (flows/warm_runner.py, started by `coursework up`) imported Prefect,
MLflow, pandas and scikit-learn once; for each request it forks a child that takes this process's stdin,
stdout and stderr (passed over the Unix socket), working folder, arguments and environment, and runs the CLI
there. This process forwards Ctrl-C and SIGTERM to it and exits with its exit code. The runner refuses (and
this process runs the command itself, as without a stack) when what was imported would differ: another
interpreter, changed code or installed packages, or an environment variable read at import time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import signal
import socket
import sys
import sysconfig
from pathlib import Path

SOCKET = Path(".coursework") / "runner.sock"  # relative: AF_UNIX paths are limited to 107 bytes
LOG = Path(".coursework") / "logs" / "runner.log"
OFF = "COURSEWORK_NO_RUNNER"  # set to 1: every command imports in its own process
EX_UNAVAILABLE = 69
# what the CLI sets (setdefault) before Prefect, GX or MLflow import: the same on both paths, so not compared
QUIET_ENV = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "GX_ANALYTICS_ENABLED": "false",
             "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
             # a fresh machine migrates Prefect's SQLite database on first start: give it time
             "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"}
# variables a library reads when it is imported (settings, thread pools, hash seed, locale, home folder)
_IMPORT_TIME = ("PREFECT_", "MLFLOW_", "COURSEWORK_", "GX_", "OMP_", "MKL_", "OPENBLAS_", "PYTHON", "KERAS_",
                "TF_", "CUDA_", "LANG", "LC_", "TZ", "HOME")
_PACKAGES = ("coursework", "flows", "pipelines")
_MAX_MESSAGE = 1 << 20


def eligible(argv: list[str]) -> bool:
    """The commands the runner takes: `run` and `data validate` (what `dvc repro` runs), unless switched off."""
    if os.environ.get(OFF, "") not in ("", "0") or "--help" in argv:
        return False
    return argv[:1] == ["run"] or argv[:2] == ["data", "validate"]


def environment_key(env: dict[str, str]) -> dict[str, str]:
    """The part of an environment that decides what an import does."""
    return {k: v for k, v in sorted(env.items()) if k.startswith(_IMPORT_TIME) and k not in QUIET_ENV and k != OFF}


def code_fingerprint(root: Path) -> str:
    """Changes when the imported code (the project's packages, wherever installed), the project's lock file or
    the installed packages change: names, sizes and mtimes."""
    digest = hashlib.sha256()
    paths = [Path(root) / "pyproject.toml", Path(root) / "uv.lock", Path(sysconfig.get_paths()["purelib"])]
    for name in _PACKAGES:
        spec = importlib.util.find_spec(name)  # a top-level package is found without importing it
        for folder in (spec.submodule_search_locations or []) if spec else []:
            paths += sorted(Path(folder).rglob("*.py"))
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        digest.update(f"{path.resolve()}\0{stat.st_mtime_ns}\0{stat.st_size}\n".encode())
    return digest.hexdigest()


def send(sock: socket.socket, message: dict, fds: list[int] | None = None) -> None:
    """One message: its length, then JSON; file descriptors ride along with the first bytes."""
    body = json.dumps(message).encode()
    data = len(body).to_bytes(4, "big") + body
    sent = socket.send_fds(sock, [data], fds) if fds else 0
    if sent < len(data):  # nothing left to send after a whole message: the other side may have answered and closed
        sock.sendall(data[sent:])


def receive(sock: socket.socket, with_fds: int = 0) -> tuple[dict | None, list[int]]:
    """One message and the descriptors that came with it; (None, []) when the other side has closed."""
    head, fds, _, _ = socket.recv_fds(sock, 4, with_fds) if with_fds else (sock.recv(4), [], 0, None)
    if len(head) < 4:
        return None, fds
    size = int.from_bytes(head, "big")
    if size > _MAX_MESSAGE:
        raise ValueError(f"a message of {size} bytes")
    body = b""
    while len(body) < size:
        chunk = sock.recv(size - len(body))
        if not chunk:
            return None, fds
        body += chunk
    return json.loads(body), fds


def ping(path: Path) -> tuple[bool, str]:
    """(answered, what it said): the runner's health check, over its socket (relative: the path may be long)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(5.0)
        sock.connect(os.path.relpath(path))
        send(sock, {"ping": True})
        answer, _ = receive(sock)
    except (OSError, ValueError) as exc:
        return False, str(exc)
    finally:
        sock.close()
    if not answer or "pong" not in answer:
        return False, f"unexpected answer {answer}"
    return True, f"forks commands ({answer['running']} running)"


class _Signals:
    """Ctrl-C, SIGTERM and SIGHUP for the forked command: held until the runner has named it, then sent on
    (a handler sending in the middle of the request would cut it in two)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.ready, self.held = sock, False, []
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self.handle)

    def handle(self, signum, _frame) -> None:
        if not self.ready:
            self.held.append(signum)
            return
        try:
            send(self.sock, {"signal": signum})
        except OSError:
            pass  # the runner is gone: the read reports it

    def started(self) -> None:
        self.ready = True
        for signum in self.held:
            self.handle(signum, None)

    def restore(self) -> int | None:
        """Back to the defaults for a command run here; 128+signal if the user interrupted meanwhile."""
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)
        return 128 + self.held[0] if self.held else None


def try_run(argv: list[str]) -> int | None:
    """The command's exit code when the stack's warm runner ran it; None when this process must run it itself."""
    if not eligible(argv) or not SOCKET.exists():
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    signals = _Signals(sock)
    try:
        sock.settimeout(10.0)
        sock.connect(str(SOCKET))
        send(sock, {"argv": ["coursework", *argv], "cwd": os.getcwd(), "env": dict(os.environ), "python": sys.executable,
                    "key": environment_key(dict(os.environ)), "code": code_fingerprint(Path.cwd())}, [0, 1, 2])
        answer, _ = receive(sock)
    except (OSError, ValueError):
        answer = None  # no runner listening (or a dead one's socket): the runner kills a child it forked for us
    if answer is None or "pid" not in answer:
        sock.close()
        return signals.restore()
    signals.started()
    sock.settimeout(None)
    return _wait(sock)


def _wait(sock: socket.socket) -> int:
    """The forked command's exit code, or 69 if the runner went away before sending it."""
    while True:
        try:
            done, _ = receive(sock)
        except (OSError, ValueError):
            done = None
        if done is None:
            print(f"error: the stack's runner stopped during the run; see {LOG}", file=sys.stderr)
            return EX_UNAVAILABLE
        if "exit" in done:
            return int(done["exit"])
