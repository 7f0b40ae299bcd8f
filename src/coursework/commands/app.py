"""`coursework app`: the Streamlit web app over every task's champion, bound to 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Optional

import typer

from coursework import children
from coursework.cli import ROOT, _fail, _quiet_services, app, err
from coursework.errors import ConfigError

SCRIPT = Path(__file__).resolve().parents[1] / "webapp" / "main.py"
HOST = children.HOST


def streamlit_command(port: int, root: Path, uri: str, max_mb: float) -> list[str]:
    """`streamlit run` headless on 127.0.0.1: no usage stats, no browser opened, no file watcher."""
    return [sys.executable, "-m", "streamlit", "run", str(SCRIPT),
            "--server.address", HOST, "--server.port", str(port), "--server.headless", "true",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
            "--server.runOnSave", "false", "--global.developmentMode", "false",
            "--client.toolbarMode", "viewer",
            # Streamlit's own cap sits above ours, so a file just over the limit gets the app's message
            "--server.maxUploadSize", str(int(max_mb) + 50),
            "--", str(root), uri]


@app.command("app")
def web_app(
    port: int = typer.Option(8501, help="port on 127.0.0.1"),
    max_mb: Optional[float] = typer.Option(None, "--max-mb", help="upload limit in MB (default: $COURSEWORK_APP_MAX_MB or 10)"),
) -> None:
    """The web app: every task's champion, its plots and history, predictions from it (Ctrl-C stops it)."""
    _quiet_services()
    from coursework import tracking
    from coursework.webapp.inputs import max_mb as default_max_mb

    if not 1 <= port <= 65535:
        _fail(ConfigError(f"--port {port} is not a TCP port (1-65535)"))
    if max_mb is not None and max_mb <= 0:
        _fail(ConfigError(f"--max-mb {max_mb:g} must be above 0"))
    try:
        children.check_port(port, HOST)
    except ConfigError as exc:
        _fail(exc)
    root = ROOT.resolve()
    uri = tracking.configure(root)  # the same store `run` writes: $MLFLOW_TRACKING_URI, a stack's server or mlruns/
    limit = max_mb if max_mb is not None else default_max_mb()
    env = {**os.environ, "COURSEWORK_APP_MAX_MB": f"{limit:g}", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    err.print(f"web app on http://{HOST}:{port} (store {uri}); Ctrl-C stops it", highlight=False)
    server = subprocess.Popen(streamlit_command(port, root, uri, limit), env=env, cwd=root)
    # a SIGTERM to this process alone (a service manager, `kill PID`) stops Streamlit too: no orphan server
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    try:
        code = server.wait()
    except KeyboardInterrupt:  # Ctrl-C reached Streamlit too (same process group): let it finish stopping
        server.wait()
        code = 0
    raise typer.Exit(code)
