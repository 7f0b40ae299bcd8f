"""`coursework serve TASK`: MLflow's own scoring server over the task's champion, on 127.0.0.1."""

from __future__ import annotations

import typer

from coursework.cli import ROOT, _fail, _quiet_services, app, err, out
from coursework.errors import CourseworkError


@app.command()
def serve(
    task: str = typer.Argument(..., help="task id"),
    port: int = typer.Option(5001, "--port", min=1, max=65535, help="port on 127.0.0.1"),
) -> None:
    """REST predictions (/invocations, /ping) from models:/TASK@champion, read at start, its files checked first."""
    _quiet_services()
    from coursework import children, serving, tracking, tracking_serve
    import pipelines as catalog

    root = ROOT.resolve()
    try:
        catalog.check_tasks([task])
        children.check_port(port)
        tracking.configure(root)
        version, copy = tracking_serve.serving_copy(task, root)
        err.print(f"{task} v{version}: files match their sha256; starting MLflow's scoring server on {copy}",
                  highlight=False)

        def ready(url: str) -> None:
            out.print(f"serving {task} v{version} (champion at start) at {url}/invocations; Ctrl-C stops it",
                      highlight=False, soft_wrap=True)
            out.file.flush()

        serving.run(copy, port, on_ready=ready)
    except CourseworkError as exc:
        _fail(exc)
    err.print(f"{task} v{version}: scoring server stopped", highlight=False)
