"""The warm runner's forked child: it becomes the command a client handed over (see flows/warm_runner.py)."""

from __future__ import annotations

import os
import signal
import socket
import sys
import traceback

from coursework import children


def become(request: dict, fds: list[int], sockets: list[socket.socket], started_env: dict[str, str]) -> None:
    """In the child: take the client's streams, folder and environment and run the CLI; never returns."""
    code = 70
    try:
        os.setpgid(0, 0)  # the runner's client-gone kill takes the command's own subprocesses too
        children.die_with(os.getppid(), signal.SIGKILL)
        for sock in sockets:
            sock.close()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        for stream in (sys.stdout, sys.stderr):
            stream.reconfigure(line_buffering=stream.isatty())
        os.chdir(request["cwd"])
        for name in set(started_env) - set(request["env"]):
            os.environ.pop(name, None)
        os.environ.update(request["env"])
        sys.argv = request["argv"]
        _fresh_logging()
        from coursework.cli import main

        main()  # exits through os._exit with the command's code
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - the client must hear about it, and the runner must not run on in a child
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _fresh_logging() -> None:
    """Prefect's settings and console handler as this command's environment and terminal make them."""
    from prefect.context import refresh_global_settings_context
    from prefect.logging.configuration import setup_logging

    refresh_global_settings_context()
    setup_logging(incremental=False)
