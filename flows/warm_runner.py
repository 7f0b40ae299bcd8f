"""The stack's warm runner: Prefect, MLflow, pandas and scikit-learn imported once, each command forked from here.

`coursework up` starts it (`python -m flows.warm_runner`, in the project root); `coursework run` and
`coursework data validate` connect to its Unix socket (coursework.warm) and pass their stdin, stdout,
stderr, arguments, folder and environment. A forked child becomes that command: it takes the descriptors,
the folder and the environment and runs the CLI as the console script would. The runner sends the child's
pid, forwards the signals the client forwards, and sends the exit code when the child ends. A client that
goes away (`kill -9`) takes its child with it (SIGKILL to the child's process group), and every child gets
SIGKILL if the runner dies. The runner stays single-threaded: it forks only from a process with one thread.
When the code or the installed packages change under it, it refuses new commands, waits for its children,
and starts again (exec) to import the new code.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import selectors
import signal
import socket
import struct
import sys
import threading
import time
from pathlib import Path

from coursework import warm
from flows.warm_child import become

# what `coursework run` and `data validate` import before and while they run (python -X importtime), less
# TensorFlow/Keras (a deep task's own) and the CLI module itself (its consoles must see the command's terminal)
PRELOAD = ("typer", "rich.console", "rich.progress", "coursework.params_schema", "pipelines", "flows.local_database",
           "flows.prefect_server", "flows.all_tasks", "flows.task_flow", "coursework.validate",
           "coursework.tracking_recovery", "coursework.figures", "skops.io", "git", "dvc.repo",
           "mlflow.store.tracking.sqlalchemy_store", "mlflow.store.model_registry.sqlalchemy_store",
           "prefect.flow_engine", "prefect.task_engine", "sklearn.ensemble", "sklearn.cluster", "sklearn.tree",
           "sklearn.naive_bayes", "sklearn.neural_network")
_TICK_S = 0.2


def _warm_caches() -> None:
    """MLflow's map of installed packages (0.5 s on the first model logged in a process), built once here: it
    depends only on the installed packages, and the runner starts again when they change."""
    from mlflow.utils import requirements_utils

    build = getattr(requirements_utils, "_init_packages_to_modules_map", None)  # private: skipped if it goes
    if build is not None:
        build()


def _peer_uid(conn: socket.socket) -> int:
    """The user id of the process at the other end (SO_PEERCRED: pid, uid, gid)."""
    return struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))[1]


def _say(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)


class Runner:
    """The listening socket, the clients waiting on their children, and what was imported."""

    def __init__(self, root: Path) -> None:
        self.root, self.started_env = root, dict(os.environ)
        self.key, self.code = warm.environment_key(self.started_env), warm.code_fingerprint(root)  # before importing
        self.selector, self.live = selectors.DefaultSelector(), set()  # forked and not yet reaped
        self.stale = False

    def preload(self) -> None:
        for name, value in warm.QUIET_ENV.items():  # as the CLI sets them before these imports
            os.environ.setdefault(name, value)
        began = time.monotonic()
        for name in PRELOAD:
            importlib.import_module(name)
        import pipelines

        for task in pkgutil.iter_modules(pipelines.__path__):  # every task's package: checking params imports them all
            if task.ispkg and not task.name.startswith("_"):
                importlib.import_module(f"pipelines.{task.name}")
        _warm_caches()
        threads = [t.name for t in threading.enumerate()]
        if len(threads) > 1:  # forking a process with other threads can copy a lock some thread holds
            raise SystemExit(f"the imports started threads {threads}: cannot fork safely")
        _say(f"imported {len(sys.modules)} modules in {time.monotonic() - began:.1f} s (pid {os.getpid()})")

    def listen(self) -> None:
        path = self.root / warm.SOCKET
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
            raise SystemExit(f"another runner answers on {path}")
        except OSError:
            path.unlink(missing_ok=True)  # a killed runner's socket: nobody listens on it
        finally:
            probe.close()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        umask = os.umask(0o077)  # the socket is born owner-only: no one else may connect and have commands run
        try:
            self.listener.bind(str(warm.SOCKET))
        finally:
            os.umask(umask)
        self.listener.listen(16)
        self.selector.register(self.listener, selectors.EVENT_READ)
        _say(f"listening on {path}")

    def serve(self) -> None:
        while True:
            for key, _ in self.selector.select(_TICK_S):
                if key.fileobj is self.listener:
                    self._accept()
                else:
                    self._from_client(key.fileobj, key.data)
            self._reap()
            if self.stale and not self.live:
                _say("the code changed: starting again to import it")
                self.listener.close()
                os.execv(sys.executable, [sys.executable, "-m", "flows.warm_runner"])

    def _accept(self) -> None:
        conn, _ = self.listener.accept()
        conn.settimeout(10.0)
        fds: list[int] = []
        try:
            request, fds = warm.receive(conn, with_fds=3)
            if request is not None and "ping" in request:  # the stack's health check
                warm.send(conn, {"pong": os.getpid(), "running": len(self.live)})
                conn.close()
                return
            refusal = self._refusal(request, fds, conn)
            if refusal:
                warm.send(conn, {"refused": refusal})
                _say(f"refused: {refusal}")
                conn.close()
                return
            pid = self._fork(request, fds, conn)
            self.live.add(pid)
            warm.send(conn, {"pid": pid})
        except (OSError, ValueError, KeyError, TypeError) as exc:  # gone, or not our client: the runner serves on
            _say(f"a client went away or sent no valid request: {type(exc).__name__}: {exc}")
            conn.close()
            return
        finally:
            for fd in fds:
                os.close(fd)
        conn.settimeout(None)
        self.selector.register(conn, selectors.EVENT_READ, pid)
        _say(f"pid {pid}: {' '.join(request['argv'][1:])}")

    def _refusal(self, request: dict | None, fds: list[int], conn: socket.socket) -> str | None:
        if request is None or len(fds) != 3:
            return "no request, or no standard streams with it"
        if _peer_uid(conn) != os.getuid():
            return "another user"
        if Path(request["cwd"]).resolve() != self.root.resolve():
            return f"another folder ({request['cwd']})"
        if request["python"] != sys.executable:
            return f"another interpreter ({request['python']})"
        if request["key"] != self.key:
            differ = sorted(set(request["key"].items()) ^ set(self.key.items()))
            return f"the environment differs in {sorted({k for k, _ in differ})}"  # names only: values may be secrets
        if self.stale or request["code"] != self.code:
            self.stale = True
            return "the code or the installed packages changed since the runner started"
        return None

    def _fork(self, request: dict, fds: list[int], conn: socket.socket) -> int:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            become(request, fds, [self.listener, conn, *self._client_sockets()], self.started_env)
        return pid

    def _client_sockets(self) -> list[socket.socket]:
        return [key.fileobj for key in self.selector.get_map().values() if key.fileobj is not self.listener]

    def _from_client(self, conn: socket.socket, pid: int) -> None:
        try:
            message, _ = warm.receive(conn)
        except (OSError, ValueError):
            message = None
        if message is None:  # the client died or hung up: its command goes with it
            _say(f"pid {pid}: its client went away; killing it")
            self.selector.unregister(conn)
            conn.close()
            if pid in self.live:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass  # it ended in the meantime
        elif pid in self.live and int(message.get("signal", 0)) in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            os.kill(pid, int(message["signal"]))  # only a child not yet reaped: its pid cannot be another's

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.live.discard(pid)
            code = os.waitstatus_to_exitcode(status)
            code = 128 - code if code < 0 else code  # killed by a signal: as a shell reports it
            _say(f"pid {pid}: exit {code}")
            for key in list(self.selector.get_map().values()):
                if key.data == pid:
                    try:
                        warm.send(key.fileobj, {"exit": code})
                    except OSError:
                        pass
                    self.selector.unregister(key.fileobj)
                    key.fileobj.close()


def main() -> int:
    runner = Runner(Path.cwd())
    runner.preload()
    runner.listen()
    runner.serve()
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    raise SystemExit(main())
